// Special (added, control) tokens are cut out of the text before pre-tokenization, so that
// "<|eot_id|>" in a prompt becomes that one token rather than "<|", "eot", "_id", "|>".
// Hugging Face tokenizers finds them with an Aho-Corasick automaton in leftmost-longest mode
// (added_vocabulary.rs): the match that starts first wins, and of those starting there the
// longest. A trie over Unicode scalars walked from each position gives the same matches.

/// Finds special tokens in text: leftmost, then longest.
struct SpecialTokenMatcher: Sendable {
    /// The trie: `children[node]` maps a scalar to the next node; node 0 is the root.
    private var children: [[UInt32: Int32]] = [[:]]
    /// The token a path from the root spells, by node; -1 where none ends.
    private var tokenAt: [Int32] = [-1]

    /// Whether no token can match (then the text is not scanned at all).
    var isEmpty: Bool { children[0].isEmpty }

    /// A matcher of `tokens` (text and id); empty texts never match and are left out.
    init(_ tokens: [(text: String, id: Int)]) {
        for (text, id) in tokens where !text.isEmpty {
            var node = 0
            for scalar in text.unicodeScalars {
                if let next = children[node][scalar.value] {
                    node = Int(next)
                } else {
                    children.append([:])
                    tokenAt.append(-1)
                    children[node][scalar.value] = Int32(children.count - 1)
                    node = children.count - 1
                }
            }
            tokenAt[node] = Int32(id)
        }
    }

    /// The longest token starting at `scalars[start]`, as its end index and id.
    func longestMatch(in scalars: [Unicode.Scalar], at start: Int) -> (end: Int, id: Int)? {
        var node = 0
        var index = start
        var found: (end: Int, id: Int)?
        while index < scalars.count, let next = children[node][scalars[index].value] {
            node = Int(next)
            index += 1
            if tokenAt[node] >= 0 { found = (index, Int(tokenAt[node])) }
        }
        return found
    }
}
