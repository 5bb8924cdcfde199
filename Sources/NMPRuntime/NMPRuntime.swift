/// The BitNet runtime: tensors, reference numerics, model shapes and the layer compiler.
public enum NMPRuntime {}
