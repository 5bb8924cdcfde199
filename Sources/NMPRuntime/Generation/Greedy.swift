/// Greedy decoding's choice: the index of the largest logit, the first one on a tie (as
/// `torch.argmax` and NumPy's `argmax` pick); NaN logits are never chosen, and a row of
/// NaNs only gives 0.
public enum Greedy {
    public static func argmax(_ logits: [Float]) -> Int {
        var best = 0
        var value = -Float.infinity
        var found = false
        for (i, x) in logits.enumerated() where !x.isNaN && (!found || x > value) {
            best = i
            value = x
            found = true
        }
        return best
    }
}
