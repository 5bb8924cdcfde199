// swift-tools-version: 6.0
// nmp: a cycle-accurate simulator of a ternary (1.58-bit) neural coprocessor.
// No package dependencies: the standard library, Foundation and Swift Testing only.
import PackageDescription

let package = Package(
    name: "nmp",
    platforms: [.macOS(.v13)],
    products: [
        // Public API: the libraries other tools may embed.
        .library(name: "NMPSupport", targets: ["NMPSupport"]),
        .library(name: "NMPTrits", targets: ["NMPTrits"]),
        .library(name: "NMPISA", targets: ["NMPISA"]),
        .library(name: "NMPAssembler", targets: ["NMPAssembler"]),
        .library(name: "NMPSimulator", targets: ["NMPSimulator"]),
        .library(name: "NMPRuntime", targets: ["NMPRuntime"]),
        .executable(name: "nmp", targets: ["nmp"]),
    ],
    targets: [
        // Small utilities every module shares: seeded random numbers, tables keyed by an
        // enumeration (deterministic order), did-you-mean suggestions.
        .target(name: "NMPSupport"),
        // Balanced-ternary values and the packed-trit byte layouts.
        .target(name: "NMPTrits"),
        // The instruction table, encoding, microcode image format.
        .target(name: "NMPISA", dependencies: ["NMPTrits", "NMPSupport"]),
        // .nasm text -> image and back; diagnostics.
        .target(name: "NMPAssembler", dependencies: ["NMPISA", "NMPTrits", "NMPSupport"]),
        // A strict JSON parser with line/column errors, for the config readers.
        .target(name: "NMPJSON", dependencies: ["NMPSupport"]),
        // The machine config, energy table and the cycle-accurate simulator.
        .target(name: "NMPSimulator", dependencies: ["NMPISA", "NMPTrits", "NMPJSON", "NMPSupport"]),
        // BitNet on the machine: tensors (.npy), reference numerics, model shapes, the compiler.
        .target(name: "NMPRuntime", dependencies: ["NMPSimulator", "NMPAssembler", "NMPISA", "NMPTrits", "NMPJSON", "NMPSupport"]),
        // Design-space sweeps: the grid of points, shards, and the results files' reader
        // (resume, merge), kept out of the CLI so that it can be fuzzed.
        .target(name: "NMPSweep", dependencies: ["NMPJSON", "NMPSupport"]),
        // Command logic behind the CLI, kept in a library so tests can call it.
        .target(name: "NMPCommands", dependencies: ["NMPRuntime", "NMPSimulator", "NMPAssembler", "NMPISA", "NMPTrits", "NMPSweep", "NMPSupport"]),
        // Thin executable: only `main`.
        .executableTarget(name: "nmp", dependencies: ["NMPCommands"]),

        // Seeded random generator and repository paths shared by the test targets.
        .target(name: "NMPTestSupport", dependencies: ["NMPISA", "NMPSupport"], path: "Tests/NMPTestSupport"),
        .testTarget(name: "NMPTritsTests", dependencies: ["NMPTrits", "NMPTestSupport"]),
        .testTarget(name: "NMPISATests", dependencies: ["NMPISA", "NMPTestSupport"]),
        .testTarget(name: "NMPAssemblerTests", dependencies: ["NMPAssembler", "NMPISA", "NMPTrits", "NMPTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "NMPSimulatorTests", dependencies: ["NMPSimulator", "NMPAssembler", "NMPISA", "NMPTrits", "NMPTestSupport"]),
        .testTarget(name: "NMPRuntimeTests", dependencies: ["NMPRuntime", "NMPSimulator", "NMPTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "NMPCommandsTests", dependencies: ["NMPCommands", "NMPRuntime", "NMPSweep", "NMPJSON"]),
    ]
)
