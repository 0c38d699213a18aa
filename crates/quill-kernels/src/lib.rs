//! Hand-written CPU kernels (quantized dot products, GEMV/GEMM) that make local generation as fast as llama.cpp.
