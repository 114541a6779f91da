//! Where replicas go: spreading over nodes and zones.
//!
//! `host` on a StatefulSet is required pod anti-affinity on `kubernetes.io/hostname`: exactly "at
//! most one replica per node", and a StatefulSet never surges. A Deployment surges one extra pod
//! during a rollout, which hard anti-affinity would leave Pending on a cluster with as many nodes
//! as replicas, so stateless `host` is a topology spread constraint (`maxSkew: 1`,
//! `DoNotSchedule`) on the hostname instead: one per node while there are enough nodes, and
//! rollouts never stall. `zone` is a topology spread constraint on `topology.kubernetes.io/zone`
//! with `DoNotSchedule` (replicas may outnumber zones, which anti-affinity cannot express) plus
//! one on the hostname: hard (`DoNotSchedule`, `maxSkew: 1`) for a stateful service, whose
//! members vote, so that on a cluster with few zones (one zone of three nodes: the zone rule is
//! met by any placement) two members of a three-member quorum never share a node; soft
//! (`ScheduleAnyway`) for a stateless one, which prefers running to spreading. The hard host
//! rule honours node taints (`nodeTaintsPolicy: Honor`): a failed node (tainted NotReady) is not
//! a domain with zero pods that would block the replacement elsewhere. A cluster without zone
//! labels cannot satisfy `zone`; see docs/availability.md.

use k8s_openapi::api::core::v1::{Affinity, PodAffinityTerm, PodAntiAffinity, TopologySpreadConstraint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use oss_spec::model::Spread;
use std::collections::BTreeMap;

/// Node label of the host.
pub const HOST_KEY: &str = "kubernetes.io/hostname";
/// Node label of the zone.
pub const ZONE_KEY: &str = "topology.kubernetes.io/zone";

/// Placement rules for the pod template.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Placement {
    /// Pod anti-affinity, if any.
    pub affinity: Option<Affinity>,
    /// Topology spread constraints, if any.
    pub spread: Option<Vec<TopologySpreadConstraint>>,
}

fn constraint(key: &str, hard: bool, selector: &BTreeMap<String, String>) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        max_skew: 1,
        topology_key: key.to_owned(),
        when_unsatisfiable: if hard { "DoNotSchedule" } else { "ScheduleAnyway" }.to_owned(),
        label_selector: Some(LabelSelector { match_labels: Some(selector.clone()), ..LabelSelector::default() }),
        node_taints_policy: (hard && key == HOST_KEY).then(|| "Honor".to_owned()),
        ..TopologySpreadConstraint::default()
    }
}

/// The placement that realises `spread` for pods carrying `selector`.
#[must_use]
pub fn derive_placement(spread: Spread, stateful: bool, selector: &BTreeMap<String, String>) -> Placement {
    match spread {
        Spread::None => Placement::default(),
        Spread::Host if stateful => Placement {
            affinity: Some(Affinity {
                pod_anti_affinity: Some(PodAntiAffinity {
                    required_during_scheduling_ignored_during_execution: Some(vec![PodAffinityTerm {
                        label_selector: Some(LabelSelector { match_labels: Some(selector.clone()), ..LabelSelector::default() }),
                        topology_key: HOST_KEY.to_owned(),
                        ..PodAffinityTerm::default()
                    }]),
                    ..PodAntiAffinity::default()
                }),
                ..Affinity::default()
            }),
            spread: None,
        },
        Spread::Host => Placement { affinity: None, spread: Some(vec![constraint(HOST_KEY, true, selector)]) },
        Spread::Zone => {
            Placement { affinity: None, spread: Some(vec![constraint(ZONE_KEY, true, selector), constraint(HOST_KEY, stateful, selector)]) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_spread_has_its_rule() {
        let sel = BTreeMap::from([("a".to_owned(), "b".to_owned())]);
        assert_eq!(derive_placement(Spread::None, true, &sel), Placement::default());
        let host = derive_placement(Spread::Host, true, &sel);
        let terms = host.affinity.unwrap().pod_anti_affinity.unwrap().required_during_scheduling_ignored_during_execution.unwrap();
        assert_eq!(terms[0].topology_key, HOST_KEY);
        let host_stateless = derive_placement(Spread::Host, false, &sel).spread.unwrap();
        assert_eq!((host_stateless[0].topology_key.as_str(), host_stateless[0].when_unsatisfiable.as_str()), (HOST_KEY, "DoNotSchedule"));
        let zone = derive_placement(Spread::Zone, true, &sel).spread.unwrap();
        assert_eq!((zone[0].topology_key.as_str(), zone[0].when_unsatisfiable.as_str()), (ZONE_KEY, "DoNotSchedule"));
        assert_eq!((zone[1].topology_key.as_str(), zone[1].when_unsatisfiable.as_str()), (HOST_KEY, "DoNotSchedule"));
        assert_eq!(zone[1].node_taints_policy.as_deref(), Some("Honor"));
        let zone_stateless = derive_placement(Spread::Zone, false, &sel).spread.unwrap();
        assert_eq!(
            (zone_stateless[1].when_unsatisfiable.as_str(), zone_stateless[1].node_taints_policy.as_deref()),
            ("ScheduleAnyway", None)
        );
    }
}
