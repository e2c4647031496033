//! The `encore` command's code as a library: the command line (`cli/`), the web stage
//! (`stage/`) and the renderings of a take (`report/`). It is a library rather than modules of
//! the binary so that the fuzz targets (`fuzz/`) reach what the stage runs on a page's frames
//! and uploads, not a copy of it; `main.rs` is only the entry point.

pub mod cli;
pub mod pose_model;
pub mod report;
pub mod stage;
