//! The speech model as every command and the stage find it: the model named with `--model`
//! (or `ENCORE_MODEL`: `tiny.en` or `base`, installed in the cache on first use) or a
//! model directory given there, else the default tiny.en; loaded with the thread count the user
//! chose, and with the second listener they chose (`--second-listener`), if any.

use std::path::{Path, PathBuf};

use encore_listen::{DEFAULT_MODEL, NamedModel, Recogniser};

use crate::RehearsalError;

/// Which model to use and how: chosen once from the command line, then loaded where needed.
#[derive(Debug, Clone)]
pub struct SpeechModel {
    choice: Choice,
    /// CPU threads for the recogniser; `None` for as many as the machine has.
    threads: Option<usize>,
    /// A bigger model asked again where this one keeps a disagreement with the script.
    second: Option<Box<SpeechModel>>,
}

#[derive(Debug, Clone)]
enum Choice {
    /// A model Encore installs itself.
    Named(&'static NamedModel),
    /// A model directory the user keeps.
    Directory(PathBuf),
}

impl Default for SpeechModel {
    fn default() -> SpeechModel {
        SpeechModel { choice: Choice::Named(DEFAULT_MODEL), threads: None, second: None }
    }
}

impl SpeechModel {
    /// `model` is a model's name or a directory; a name wins unless a directory of that name
    /// is there.
    pub fn new(model: Option<&Path>, threads: Option<usize>) -> SpeechModel {
        let choice = match model {
            None => Choice::Named(DEFAULT_MODEL),
            Some(given) => match given.to_str().and_then(NamedModel::find) {
                Some(named) if !given.is_dir() => Choice::Named(named),
                _ => Choice::Directory(given.to_path_buf()),
            },
        };
        SpeechModel { choice, threads, second: None }
    }

    /// This model with `second` (a model's name or a directory, as for [`SpeechModel::new`])
    /// as its second listener; `None` leaves it without one.
    pub fn with_second_listener(self, second: Option<&Path>) -> SpeechModel {
        let second = second.map(|second| Box::new(SpeechModel::new(Some(second), self.threads)));
        SpeechModel { second, ..self }
    }

    /// The model's name, or its directory for one the user keeps.
    pub fn name(&self) -> String {
        match &self.choice {
            Choice::Named(named) => named.name.to_string(),
            Choice::Directory(dir) => dir.display().to_string(),
        }
    }

    /// Where the model is, or would be installed.
    pub fn dir(&self) -> PathBuf {
        match &self.choice {
            Choice::Named(named) => named.dir(),
            Choice::Directory(dir) => dir.clone(),
        }
    }

    /// Installs a named model if this is its first use, saying so through `say`. A model
    /// directory the user gave is theirs to install: it is used as it is.
    pub fn install_on_first_use(&self, say: &mut dyn FnMut(&str)) -> Result<(), RehearsalError> {
        if let Choice::Named(named) = self.choice {
            named.installed(say)?;
        }
        match &self.second {
            Some(second) => second.install_on_first_use(say),
            None => Ok(()),
        }
    }

    /// Installs the model into [`SpeechModel::dir`], from `wheels` (one for each of its
    /// packages) if given; unless `force`, an installed model is left as it is. A model
    /// directory the user gave is installed as the default model. Returns whether it installed.
    pub fn install(&self, force: bool, wheels: &[PathBuf], say: &mut dyn FnMut(&str)) -> Result<bool, RehearsalError> {
        let dir = self.dir();
        if encore_listen::is_model_dir(&dir) && !force {
            return Ok(false);
        }
        let named = match self.choice {
            Choice::Named(named) => named,
            Choice::Directory(_) => DEFAULT_MODEL,
        };
        encore_listen::install(&dir, named, wheels, say)?;
        Ok(true)
    }

    /// The recogniser, installing a named model first if this is its first use.
    pub fn load(&self, say: &mut dyn FnMut(&str)) -> Result<Recogniser, RehearsalError> {
        self.install_on_first_use(say)?;
        self.load_installed()
    }

    /// The recogniser from the model as it is, installing nothing, on the threads chosen.
    pub fn load_installed(&self) -> Result<Recogniser, RehearsalError> {
        let dir = self.dir();
        let recogniser = Recogniser::load_with_threads(&dir, self.threads)
            .map_err(|source| RehearsalError::LoadingModel { dir, source })?;
        let Some(second) = &self.second else {
            return Ok(recogniser);
        };
        let dir = second.dir();
        let second = Recogniser::load_with_threads(&dir, self.threads)
            .map_err(|source| RehearsalError::LoadingSecondListener { dir, source })?;
        Ok(recogniser.with_second_listener(second))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_is_named_or_a_directory() {
        assert_eq!(SpeechModel::default().name(), "tiny.en");
        assert_eq!(SpeechModel::new(Some(Path::new("base")), None).name(), "base");
        assert!(SpeechModel::new(Some(Path::new("base")), None).dir().ends_with("models/whisper-base"));
        let mine = tempfile::tempdir().unwrap();
        let chosen = SpeechModel::new(Some(mine.path()), None);
        assert_eq!(chosen.dir(), mine.path());
        assert_eq!(SpeechModel::new(Some(Path::new("no-such-model")), None).dir(), Path::new("no-such-model"));
    }
}
