/// Events the energy model charges for. Every instruction counts `.instruction` (fetch
/// and decode); the table lists the further events each opcode can produce.
public enum EnergyEvent: String, CaseIterable, Sendable {
    /// Instruction fetch and decode, once per issued instruction.
    case instruction
    /// Register-file bytes read or written (scalar, trit, int8 and int32 files).
    case registerRead, registerWrite
    /// A 32-bit integer add, compare, logic or shift (scalar ALU, accumulator lanes,
    /// adder-tree nodes, reductions).
    case int32Add
    /// A 32-bit integer multiply (scalar `mul`, accumulator `amul`/`asq`, `rq` scaling).
    case int32Mul
    /// A 32-bit divide (`div`, `divu`).
    case int32Div
    /// An 8-bit compare or conversion (sign, threshold, trit-to-int8, the rounding and
    /// saturation of `rq` and `fq`).
    case int8Op
    /// A float32 add-class operation of the scale unit: a compare or maximum (`famax`,
    /// `fmax`) or an int32-to-float32 conversion (`fcvt`).
    case fp32Add
    /// A float32 multiply (`fmuls`, `fmul`, the scaling in `fq`).
    case fp32Mul
    /// A float32 divide (`fdivs`, `fdiv`).
    case fp32Div
    /// A binary16 multiply and a binary16-class add of the FP16 matrix array (`hgemm`,
    /// `hgemz`): one of each per MAC, priced like the FP16 multiply-add of BitNet b1.58's
    /// energy comparison (its Table 2).
    case fp16Mul, fp16Add
    /// A trit-MAC whose trit is +1 (add), -1 (subtract) or 0 (skipped: no adder toggles).
    case tritAdd, tritSub, tritSkip
    /// Bytes of packed trits decoded or encoded by the unpack/pack unit.
    case tritUnpack
    /// SRAM bytes read or written, per memory.
    case weightSRAMRead, weightSRAMWrite, activationSRAMRead, activationSRAMWrite
    /// DRAM bytes read or written by DMA.
    case dramRead, dramWrite
}
