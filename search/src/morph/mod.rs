//! The optional morphological field: whole-word ranking with lindera and the IPADIC dictionary.
//!
//! The bigram field (`tokenizer`) finds every substring, so 京都 also matches 東京都庁. A second
//! field cut into dictionary words (京都府 → 京都 / 府, 東京都庁 → 東京 / 都庁) tells the two apart:
//! queries keep the bigram field's recall and add the word field as a boost (see `query`).
//!
//! The dictionary is compiled from Debian's `mecab-ipadic` seed (EUC-JP CSV + matrix) with
//! lindera's own builder; lindera's embedded dictionaries download at build time and fail offline.
//! The compiled dictionary (~46 MB) lives in `<data_dir>/dictionary/ipadic` and is mmapped at start.
//! Without it everything works on the bigram field alone.

mod tokenizer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use lindera::dictionary::{load_dictionary, DictionaryBuilder, Metadata};
use lindera::mode::Mode;
use lindera::segmenter::Segmenter;
use tantivy::tokenizer::{RemoveLongFilter, TextAnalyzer};

pub use tokenizer::MorphTokenizer;

use crate::error::SearchError;

/// The name the word analyzer is registered under (schema field `text_morph`).
pub const JA_MORPH: &str = "ja_morph";

/// Where Debian's `mecab-ipadic` package puts the seed.
pub const DEBIAN_SEED: &str = "/usr/share/mecab/dic/ipadic";

/// lindera-ipadic 6.2.0's build metadata with the encoding set to EUC-JP (see the README beside it).
const IPADIC_METADATA: &str = include_str!("../../lindera-ipadic/metadata.json");

/// Same limit as the bigram analyzer: tantivy rejects huge terms.
const MAX_TOKEN_BYTES: usize = 100;

/// Which dictionary the server uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DictionarySetting {
    /// No morphological field: bigrams only.
    Off,
    /// `<data_dir>/dictionary/ipadic`, compiled once from the Debian seed when missing; bigrams
    /// only when neither exists.
    #[default]
    Auto,
    /// A compiled dictionary at this path; failing to load it is an error.
    Dir(PathBuf),
}

impl DictionarySetting {
    /// `off`, `auto`, or a directory.
    pub fn parse(s: &str) -> DictionarySetting {
        match s.trim() {
            "off" | "none" => DictionarySetting::Off,
            "" | "auto" => DictionarySetting::Auto,
            dir => DictionarySetting::Dir(PathBuf::from(dir)),
        }
    }
}

/// The default place of the compiled dictionary inside a data directory.
pub fn default_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("dictionary").join("ipadic")
}

/// Whether `seed` holds a MeCab IPADIC seed (the Debian package is installed).
pub fn seed_exists(seed: &Path) -> bool {
    seed.join("matrix.def").is_file() && seed.join("char.def").is_file()
}

/// Whether `dir` holds a compiled dictionary.
pub fn dictionary_exists(dir: &Path) -> bool {
    dir.join("metadata.json").is_file() && dir.join("matrix.mtx").is_file()
}

fn lindera_error(what: &str, e: impl std::fmt::Display) -> SearchError {
    SearchError::Index(format!("{what}: {e}"))
}

/// Compiles the IPADIC seed in `seed` into `out`. Builds into a sibling directory and renames it,
/// so a crash never leaves a half-written dictionary where the server would load it.
pub fn build_dictionary(seed: &Path, out: &Path) -> Result<(), SearchError> {
    if !seed_exists(seed) {
        return Err(SearchError::Index(format!(
            "no IPADIC seed in {} (install the Debian package mecab-ipadic)",
            seed.display()
        )));
    }
    let metadata = Metadata::load(IPADIC_METADATA.as_bytes())
        .map_err(|e| lindera_error("the IPADIC metadata", e))?;
    let parent = out.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ipadic".into());
    let staging = parent.join(format!(".{name}.building-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    DictionaryBuilder::new(metadata)
        .build_dictionary(seed, &staging)
        .map_err(|e| lindera_error("building the dictionary", e))?;
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    std::fs::rename(&staging, out)?;
    Ok(())
}

/// A loaded dictionary and its segmenter, shared by every analyzer made from it.
#[derive(Clone)]
pub struct Morph {
    segmenter: Arc<Segmenter>,
    dir: PathBuf,
}

impl std::fmt::Debug for Morph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Morph").field("dir", &self.dir).finish()
    }
}

impl Morph {
    /// Loads (mmaps) the compiled dictionary in `dir`.
    pub fn load(dir: &Path) -> Result<Morph, SearchError> {
        let uri = dir.to_string_lossy();
        let dictionary = load_dictionary(&uri)
            .map_err(|e| lindera_error(&format!("loading the dictionary {}", dir.display()), e))?;
        Ok(Morph {
            segmenter: Arc::new(Segmenter::new(Mode::Normal, dictionary, None)),
            dir: dir.to_path_buf(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The word analyzer (index and query time alike).
    pub fn analyzer(&self) -> TextAnalyzer {
        TextAnalyzer::builder(MorphTokenizer::new(Arc::clone(&self.segmenter)))
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .build()
    }
}

/// The dictionary `setting` asks for. With `Auto`, `build_if_missing` compiles it from the Debian
/// seed first (the server does; read-only commands do not), and a dictionary that fails to load is
/// logged and skipped, so a broken file never keeps the server from starting.
pub fn resolve(
    setting: &DictionarySetting,
    data_dir: &Path,
    build_if_missing: bool,
) -> Result<Option<Morph>, SearchError> {
    match setting {
        DictionarySetting::Off => Ok(None),
        DictionarySetting::Dir(dir) => Morph::load(dir).map(Some),
        DictionarySetting::Auto => {
            let dir = default_dir(data_dir);
            let seed = Path::new(DEBIAN_SEED);
            if !dictionary_exists(&dir) {
                if !(build_if_missing && seed_exists(seed)) {
                    return Ok(None);
                }
                let started = Instant::now();
                build_dictionary(seed, &dir)?;
                tracing::info!(
                    dir = %dir.display(),
                    seconds = started.elapsed().as_secs_f64(),
                    "built the IPADIC dictionary for whole-word ranking"
                );
            }
            match Morph::load(&dir) {
                Ok(morph) => Ok(Some(morph)),
                Err(e) => {
                    tracing::warn!(error = %e, "the dictionary cannot be loaded; bigrams only");
                    Ok(None)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
