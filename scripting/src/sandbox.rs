//! The one constructor of every rhai `Engine` Kumiki uses, with every limit set.
//!
//! Why each setting (see docs/scripts.md "Sandbox"):
//! - `Engine::new_raw()` plus a fixed list of packages: `Engine::new()` would bring a file module
//!   resolver, printing to stdout, and `CorePackage`'s `sleep`, which blocks the thread while the
//!   operation counter and the deadline stall. `LanguageCorePackage` (where `sleep` lives) is never
//!   registered; the crate is built with `no_module`, so `import` does not even parse.
//! - operations, call depth, expression depth, string/array/map sizes, variables and functions are
//!   all bounded; the source length is checked before parsing.
//! - a wall-clock deadline through `on_progress` (called on every operation), and a memory budget
//!   checked there too (`memory.rs`: what the run's thread holds, values being built inside native
//!   functions such as `map` and every recursion level's variables included).
//! - `eval` is disabled; variables are strict (a typo is a compile error, not `()`).
//! - `print`/`debug` go to the script log, capped in size.
//! - rhai checks the size of a container only when a whole value is assigned; `m[key] = v` on a
//!   map checks `v`, not `m`, so a map could grow without bound (the "map-size gap", proven by
//!   `tests::indexed_map_growth_is_stopped`). The variable hook below re-checks the size of every
//!   map or array variable when it is accessed, which `m[key] = v` always does.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicFnPackage, BasicIteratorPackage, BasicMapPackage,
    BasicMathPackage, BasicStringPackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::{Dynamic, Engine, EvalAltResult, Module, Position, Shared};

type SharedModule = Shared<Module>;

use crate::ScriptLimits;

/// The rhai packages scripts get, built once and shared by every engine.
pub struct Packages(Vec<SharedModule>);

impl Packages {
    pub fn new() -> Packages {
        Packages(vec![
            ArithmeticPackage::new().as_shared_module(),
            LogicPackage::new().as_shared_module(),
            BasicStringPackage::new().as_shared_module(),
            MoreStringPackage::new().as_shared_module(),
            BasicIteratorPackage::new().as_shared_module(),
            BasicFnPackage::new().as_shared_module(),
            BasicArrayPackage::new().as_shared_module(),
            BasicMapPackage::new().as_shared_module(),
            BasicMathPackage::new().as_shared_module(),
        ])
    }
}

impl Default for Packages {
    fn default() -> Self {
        Packages::new()
    }
}

/// Where an engine sends its `print`/`debug` output and when its run must stop.
pub trait RunGuard: Send + Sync {
    /// Appends a line to the script log (the implementation caps its size).
    fn log(&self, line: &str);
    /// The wall-clock deadline of the current run, if one is running.
    fn deadline(&self) -> Option<Instant>;
    /// Whether the current run holds more memory than its budget (`memory::Budget`); called on the
    /// run's own thread.
    fn over_memory(&self) -> bool {
        false
    }
}

/// How often (in container-variable accesses) the whole container is measured; a power of two.
const FULL_CHECK_EVERY: usize = 64;

/// The token `on_progress` terminates a script with when its deadline passed.
pub const DEADLINE_TOKEN: &str = "deadline";
/// The token `on_progress` terminates a script with when it holds more memory than its budget.
pub const MEMORY_TOKEN: &str = "memory";
/// How often (in operations) the memory budget is checked; a power of two. Between two checks a
/// run can allocate at most a few operations' worth (each bounded by the size limits).
const MEMORY_CHECK_EVERY: u64 = 16;

/// Builds a sandboxed engine. Every engine in Kumiki comes from here.
pub fn new_engine(limits: &ScriptLimits, packages: &Packages, guard: Arc<dyn RunGuard>) -> Engine {
    let mut engine = Engine::new_raw();
    for package in &packages.0 {
        engine.register_global_module(package.clone());
    }
    engine.set_max_operations(limits.max_operations);
    engine.set_max_call_levels(limits.max_call_levels);
    engine.set_max_expr_depths(limits.max_expr_depth, limits.max_function_expr_depth);
    engine.set_max_string_size(limits.max_string_bytes);
    engine.set_max_array_size(limits.max_array_len);
    engine.set_max_map_size(limits.max_map_len);
    engine.set_max_variables(limits.max_variables);
    engine.set_max_functions(limits.max_functions);
    engine.set_strict_variables(true);
    engine.disable_symbol("eval");
    let progress_guard = guard.clone();
    engine.on_progress(move |ops| {
        if ops & (MEMORY_CHECK_EVERY - 1) == 0 && progress_guard.over_memory() {
            return Some(Dynamic::from(MEMORY_TOKEN));
        }
        match progress_guard.deadline() {
            Some(deadline) if Instant::now() >= deadline => Some(Dynamic::from(DEADLINE_TOKEN)),
            _ => None,
        }
    });
    let print_guard = guard.clone();
    engine.on_print(move |text| print_guard.log(text));
    let debug_guard = guard;
    engine.on_debug(move |text, _source, _pos| debug_guard.log(text));
    let (max_map, max_array) = (limits.max_map_len, limits.max_array_len);
    let accesses = AtomicUsize::new(0);
    // The variable resolver is marked volatile by rhai, not deprecated; it is the only hook that
    // sees the scope, which the size re-check needs. The top-level length is checked on every
    // access (O(1)); the whole container (nested sizes, total string bytes) on every
    // `FULL_CHECK_EVERY`th, so building a large container does not cost O(N²) and the overshoot
    // stays below that many assignments.
    #[allow(deprecated)]
    engine.on_var(move |name, _index, context| {
        let Some(value) = context.scope().get(name) else {
            return Ok(None);
        };
        let too_large = |what: &str| -> Box<EvalAltResult> {
            EvalAltResult::ErrorDataTooLarge(what.to_owned(), Position::NONE).into()
        };
        if let Some(map) = value.read_lock::<rhai::Map>() {
            if map.len() > max_map {
                return Err(too_large("Size of object map"));
            }
        } else if let Some(array) = value.read_lock::<rhai::Array>() {
            if array.len() > max_array {
                return Err(too_large("Size of array"));
            }
        } else {
            return Ok(None);
        }
        if accesses.fetch_add(1, Ordering::Relaxed) & (FULL_CHECK_EVERY - 1) == 0 {
            context.engine().ensure_data_size_within_limits(value)?;
        }
        Ok(None)
    });
    engine
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;

    struct TestGuard {
        deadline: Instant,
        lines: Mutex<Vec<String>>,
    }

    impl RunGuard for TestGuard {
        fn log(&self, line: &str) {
            if let Ok(mut l) = self.lines.lock() {
                l.push(line.to_owned());
            }
        }
        fn deadline(&self) -> Option<Instant> {
            Some(self.deadline)
        }
    }

    fn engine() -> Engine {
        let guard = Arc::new(TestGuard {
            deadline: Instant::now() + Duration::from_millis(500),
            lines: Mutex::new(Vec::new()),
        });
        new_engine(&ScriptLimits::default(), &Packages::new(), guard)
    }

    fn fails(source: &str) -> String {
        let started = Instant::now();
        let result = engine().run(source);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{source}: took {:?}",
            started.elapsed()
        );
        match result {
            Ok(()) => panic!("{source}: expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn runaway_scripts_stop_with_an_error() {
        for source in [
            "loop {}",
            "fn f() { f() } f()",
            "let s = \"ab\"; loop { s += s; }",
            "let a = [1]; loop { a += a; }",
            "let m = #{}; let i = 0; loop { m[\"k\" + i] = i; i += 1; }",
            "sleep(1000)",
            "eval(\"1\")",
            "import \"x\" as y;",
            "let x = 1; xx + 1",
        ] {
            let message = fails(source);
            println!("{source} => {message}");
            assert!(!message.is_empty(), "{source}");
        }
    }

    #[test]
    fn indexed_assignment_cannot_pile_up_strings() {
        // `a[i] = s` checks `s`, not `a`: the hook notices the total on the next access of `a`.
        let message = fails(
            "let s = \"x\"; while s.len() < 30000 { s += s; } \
             let a = [(), (), (), ()]; for i in 0..1000 { a[i % 4] = s + i; } 1",
        );
        assert!(message.contains("Length of string"), "{message}");
    }

    #[test]
    fn deep_nesting_is_a_parse_error() {
        let source = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let message = fails(&source);
        assert!(message.contains("maximum complexity"), "{message}");
    }

    #[test]
    fn indexed_map_growth_is_stopped() {
        // Without the variable hook this grows to max_operations/ops-per-iteration entries: rhai
        // checks the inserted value, not the map (the map-size gap).
        let limits = ScriptLimits::default();
        let source = format!(
            "let m = #{{}}; for i in 0..{} {{ m[\"k\" + i] = i; }} m.len()",
            limits.max_map_len + 10
        );
        let message = fails(&source);
        assert!(message.contains("Size of object map"), "{message}");
    }

    #[test]
    fn the_gap_exists_without_the_hook() -> Result<(), Box<EvalAltResult>> {
        // Proves the gap: a raw engine with the same map limit lets `m[k] = v` exceed it; only a
        // later use of the whole map (`m.len()`) would notice, long after the memory was spent.
        let mut raw = Engine::new_raw();
        for package in &Packages::new().0 {
            raw.register_global_module(package.clone());
        }
        raw.set_max_map_size(100);
        let grew = raw.eval::<i64>("let m = #{}; for i in 0..200 { m[\"k\" + i] = i; } 1")?;
        assert_eq!(grew, 1);
        let later = raw.eval::<i64>("let m = #{}; for i in 0..200 { m[\"k\" + i] = i; } m.len()");
        assert!(later.is_err());
        Ok(())
    }

    #[test]
    fn ordinary_scripts_run() -> Result<(), Box<EvalAltResult>> {
        let e = engine();
        let n = e.eval::<i64>("let a = [1, 2, 3]; let m = #{x: 1}; m.y = 2; a.len() + m.len()")?;
        assert_eq!(n, 5);
        let s = e.eval::<String>("let x = 3; `n=${x}`")?;
        assert_eq!(s, "n=3");
        // Containers near the limits can still be built within the deadline.
        let n = e.eval::<i64>("let m = #{}; for i in 0..9000 { m[\"k\" + i] = i; } m.len()")?;
        assert_eq!(n, 9000);
        Ok(())
    }
}
