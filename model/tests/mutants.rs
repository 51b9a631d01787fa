//! A spec mutant is data: its rules and the property it must break, in one
//! value (`Rules::breaks`), so no table has to stay index-matched to another.

use onering_model::{profile, MUTANTS, PROFILES};

#[test]
fn every_spec_mutant_names_the_property_it_breaks_and_no_profile_does() {
    for m in MUTANTS {
        assert!(m.is_spec_mutant(), "{}", m.name);
        assert!(m.name.starts_with("unified~"), "{}", m.name);
        assert_eq!(profile(m.name).map(|r| r.breaks), Some(m.breaks));
    }
    for p in PROFILES {
        assert_eq!(p.breaks, None, "{}", p.name);
        assert!(!p.is_spec_mutant());
    }
}
