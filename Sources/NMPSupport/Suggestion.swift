/// "Did you mean ...?": the known name closest to a misspelt one.
public enum Suggestion {
    /// Names longer than this get no suggestion: the edit distance costs the product of the
    /// lengths, and a name this long is no typo.
    public static let maxLength = 64

    /// The candidate closest to `name` by edit distance (ignoring case), when the distance
    /// is small enough to be a typo: at most `max(1, min(2, name.count / 3))`. Ties go to
    /// the candidate of the same length (a mistyped letter is likelier than a missing or
    /// extra one), then to the earlier candidate.
    public static func nearest(to name: String, in candidates: some Sequence<String>) -> String? {
        guard name.utf8.count <= maxLength else { return nil }
        let typed = Array(name.lowercased().utf8)
        let limit = max(1, min(2, typed.count / 3))
        var best: (name: String, distance: Int, sameLength: Bool)?
        for candidate in candidates {
            let other = Array(candidate.lowercased().utf8)
            guard abs(other.count - typed.count) <= limit else { continue }
            let d = distance(typed, other)
            guard d <= limit else { continue }
            let sameLength = other.count == typed.count
            if let current = best, current.distance < d || (current.distance == d && (current.sameLength || !sameLength)) { continue }
            best = (candidate, d, sameLength)
        }
        return best?.name
    }

    /// Levenshtein distance between two byte strings.
    public static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// `text` as an error quotes it: at most `maxLength` Unicode scalars (so at most
    /// 4 * `maxLength` bytes), with the full length said when it was cut. Scalars, not
    /// characters: one character may hold any number of combining marks.
    public static func quoted(_ text: String) -> String {
        Quoted.text(text, limit: maxLength)
    }
}
