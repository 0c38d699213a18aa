//! Rung 6a: fine-tuning datasets built from the library, validated like the hosted services do, and judged.
