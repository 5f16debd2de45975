//! The text extractor's child process for tests: the integration tests run the server inside the
//! test binary, whose own `main` is the test harness, so they point `Settings::extractor` here
//! (`kumiki_tests::test_extractor`). It is exactly what `kumiki extract-text` runs.

fn main() {
    std::process::exit(kumiki_search::extract::child_main());
}
