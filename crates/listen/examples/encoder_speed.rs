//! Times one encoder window of the installed model, a decoder step (through candle and through
//! Encore's own step), and the attention pieces on their own, to see where the time goes.
//! Run: cargo run --release -p encore-listen --features internals --example encoder_speed
use std::time::Instant;

use candle_core::{D, Device, Tensor};

fn main() -> anyhow::Result<()> {
    let mut files = encore_listen::internals::ModelFiles::read(&encore_listen::default_model_dir())?;
    let model = files.network(encore_listen::internals::Precision::from_environment())?;
    let mel = Tensor::randn(0f32, 1.0, (1, 80, 3000), &Device::Cpu)?;
    for _ in 0..3 {
        let clock = Instant::now();
        model.encoder.forward(&mel)?;
        println!("encoder window {:?}", clock.elapsed());
    }
    let audio = model.encoder.forward(&mel)?;
    let mut state = model.decoder.start(&audio)?;
    model.decoder.forward(&[50257, 50363, 843, 523, 11, 616], &mut state, &[])?;
    let clock = Instant::now();
    for _ in 0..50 {
        model.decoder.forward(&[616], &mut state, &[])?;
    }
    println!("decoder step through the pass over many tokens (f32) {:?}", clock.elapsed() / 50);
    if let Some(mut steps) = model.decoder.steps(&state)? {
        let clock = Instant::now();
        for _ in 0..50 {
            steps.step(616)?;
        }
        println!("decoder step, Encore's own {:?}", clock.elapsed() / 50);
    }
    let x = Tensor::randn(0f32, 1.0, (1, 384), &Device::Cpu)?;
    let w = Tensor::randn(0f32, 1.0, (384, 51864), &Device::Cpu)?;
    let clock = Instant::now();
    for _ in 0..50 {
        x.matmul(&w)?;
    }
    println!("logits product {:?}", clock.elapsed() / 50);
    let wt = Tensor::randn(0f32, 1.0, (51864, 384), &Device::Cpu)?;
    let clock = Instant::now();
    for _ in 0..50 {
        x.matmul(&wt.t()?)?;
    }
    println!("logits product, transposed weights {:?}", clock.elapsed() / 50);
    for dtype in [candle_core::quantized::GgmlDType::Q8_0, candle_core::quantized::GgmlDType::F16] {
        let q = candle_core::quantized::QMatMul::from_qtensor(candle_core::quantized::QTensor::quantize(&wt, dtype)?)?;
        use candle_core::Module;
        let x3 = x.unsqueeze(0)?;
        let clock = Instant::now();
        for _ in 0..50 {
            q.forward(&x3)?;
        }
        println!("logits product {dtype:?} {:?}", clock.elapsed() / 50);
    }
    let q = Tensor::randn(0f32, 1.0, (1, 6, 1500, 64), &Device::Cpu)?;
    let clock = Instant::now();
    let scores = q.matmul(&q.t()?)?;
    println!("scores {:?}", clock.elapsed());
    let clock = Instant::now();
    let weights = candle_nn::ops::softmax_last_dim(&scores)?;
    println!("softmax {:?}", clock.elapsed());
    let clock = Instant::now();
    weights.matmul(&q)?;
    println!("weights x values {:?}", clock.elapsed());
    let clock = Instant::now();
    let _ = scores.narrow(D::Minus1, 0, 10)?;
    println!("narrow {:?}", clock.elapsed());
    Ok(())
}

#[allow(dead_code)]
fn unused() {}
