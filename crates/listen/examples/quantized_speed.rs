//! Compares f32 and quantised products of one row by the output projection, the decoder's
//! largest per-step cost. Run: cargo run --release -p encore-listen --example quantized_speed
use std::time::Instant;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};

fn main() -> candle_core::Result<()> {
    for (rows, columns) in [(51864, 384), (1536, 384), (384, 1536)] {
        let weights = Tensor::randn(0f32, 1.0, (rows, columns), &Device::Cpu)?;
        let x = Tensor::randn(0f32, 1.0, (1, 1, columns), &Device::Cpu)?;
        let clock = Instant::now();
        for _ in 0..100 {
            x.broadcast_matmul(&weights.t()?)?;
        }
        println!("{rows}x{columns} f32 {:?}", clock.elapsed() / 100);
        for dtype in [GgmlDType::Q8_0, GgmlDType::Q4_0, GgmlDType::Q8K] {
            if columns % dtype.block_size() != 0 {
                continue;
            }
            let q = QMatMul::from_qtensor(QTensor::quantize(&weights, dtype)?)?;
            q.forward(&x)?;
            let clock = Instant::now();
            for _ in 0..100 {
                q.forward(&x)?;
            }
            println!("{rows}x{columns} {dtype:?} {:?}", clock.elapsed() / 100);
        }
    }
    Ok(())
}
