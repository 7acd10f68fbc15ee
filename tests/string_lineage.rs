//! String-table lineages cannot be confused: several shims ([`Interner`]s) feed one core
//! table, their ids colliding on purpose, with resets and lost answers interleaved; whenever
//! the core accepts an update, every index the shim's nodes may name resolves to that shim's
//! own string. The shim follows the one rule the core documents: commit only on success,
//! reset on a refusal.

use proptest::prelude::*;
use rejourney_core::strings::{Interner, StringLimits, StringTable, Sym};

/// What one step does.
#[derive(Debug, Clone)]
enum Step {
    /// Shim `shim` walks a tree naming these strings and submits; the answer is lost
    /// (`lost`: the shim does not learn that the core applied it).
    Submit {
        shim: usize,
        strings: Vec<usize>,
        lost: bool,
    },
    /// Shim `shim` starts a new table, with an id from a tiny space (collisions likely).
    Reset { shim: usize, id: u64 },
}

/// Few strings, the dangerous one among them: a collision would read `rj-unmask` where a
/// shim meant a plain class name.
const WORDS: [&str; 6] = ["Window", "Label", "rj-unmask", "Input", "rj-mask", "Image"];

fn step(shims: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..shims, prop::collection::vec(0..WORDS.len(), 0..4), any::<bool>())
            .prop_map(|(shim, strings, lost)| Step::Submit { shim, strings, lost }),
        1 => (0..shims, 0..2u64).prop_map(|(shim, id)| Step::Reset { shim, id }),
    ]
}

/// A shim: its table, and what each of its indices means to it.
struct Shim {
    table: Interner,
    meaning: Vec<&'static str>,
}

impl Shim {
    fn new(id: u64) -> Self {
        Self {
            table: Interner::with_table(id),
            meaning: Vec::new(),
        }
    }
}

fn run(shims: usize, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut core = StringTable::new(StringLimits::default());
    // Every shim starts on the same id: the worst case.
    let mut all: Vec<Shim> = (0..shims).map(|_| Shim::new(0)).collect();
    for s in steps {
        match s {
            Step::Reset { shim, id } => all[*shim] = Shim::new(*id),
            Step::Submit {
                shim,
                strings,
                lost,
            } => {
                let sh = &mut all[*shim];
                // The walk: nodes name these indices.
                let mut named = Vec::new();
                for &w in strings {
                    let sym = sh.table.intern(WORDS[w]);
                    if sym.0 as usize == sh.meaning.len() {
                        sh.meaning.push(WORDS[w]);
                    }
                    named.push(sym);
                }
                let update = sh.table.update();
                match core.apply(update.clone()) {
                    Ok(snapshot) => {
                        for sym in named
                            .iter()
                            .copied()
                            .chain((0..sh.meaning.len() as u32).map(Sym))
                        {
                            let meant = sh.meaning[sym.0 as usize];
                            prop_assert_eq!(
                                snapshot.get(sym),
                                Some(meant),
                                "index {} of shim {}",
                                sym.0,
                                shim
                            );
                        }
                        if !lost {
                            sh.table.committed_update(&update);
                        }
                    }
                    // Refused: the frame is dropped, the shim starts over (same tiny ids).
                    Err(_) => {
                        let id = update.table;
                        *sh = Shim::new(id ^ 1);
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]
    #[test]
    fn no_node_resolves_to_another_shims_string(
        shims in 2..5usize,
        steps in prop::collection::vec(step(4), 1..60),
    ) {
        let steps: Vec<Step> = steps
            .into_iter()
            .map(|s| match s {
                Step::Submit { shim, strings, lost } => Step::Submit { shim: shim % shims, strings, lost },
                Step::Reset { shim, id } => Step::Reset { shim: shim % shims, id },
            })
            .collect();
        run(shims, &steps)?;
    }
}

/// The case, spelled out: shim B's table lands on shim A's id and appends from the
/// base A's table has; its strings differ, so the core refuses it.
#[test]
fn a_second_shim_on_the_same_id_is_refused() {
    let mut core = StringTable::new(StringLimits::default());
    let mut a = Interner::with_table(42);
    a.intern("Window");
    a.intern("Label");
    let ua = a.update();
    core.apply(ua.clone()).unwrap();
    a.committed_update(&ua);
    let mut b = Interner::with_table(42);
    b.intern("Window");
    b.intern("rj-unmask");
    let ub = b.update();
    // B believes the core has its two strings (a lost answer): it appends a third.
    b.committed_update(&ub);
    let input = b.intern("Input");
    assert_eq!(input, Sym(2));
    assert!(
        core.apply(b.update()).is_err(),
        "B extends a table it never built"
    );
    // A's nodes still read A's strings.
    let s = core.apply(a.update()).unwrap();
    assert_eq!(s.get(Sym(1)), Some("Label"));
}
