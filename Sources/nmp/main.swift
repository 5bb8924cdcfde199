import Foundation
import NMPCommands

// The executable is only this: everything else lives in NMPCommands, where tests call it.
let console = Console(out: { FileHandle.standardOutput.write(Data($0.utf8)) },
                      err: { FileHandle.standardError.write(Data($0.utf8)) })
exit(NMP.run(Array(CommandLine.arguments.dropFirst()), console: console))
