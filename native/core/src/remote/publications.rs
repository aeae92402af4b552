//! Who publishes what: the authoritative per-participant track lists, with stable track ids that
//! survive a publisher's full reconnect (same identity, handle, name and E2EE flag, new SID).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteTrackDescriptor {
    pub sid: String,
    pub pub_handle: u16,
    pub name: String,
    pub uses_e2ee: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublicationChanges {
    pub published: Vec<(u32, String)>,
    pub unpublished: Vec<(u32, String)>,
    /// (track id, old SID, new SID)
    pub reassigned: Vec<(u32, String, String)>,
}

impl PublicationChanges {
    pub fn is_empty(&self) -> bool {
        self.published.is_empty() && self.unpublished.is_empty() && self.reassigned.is_empty()
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Publication {
    pub identity: String,
    pub desc: RemoteTrackDescriptor,
}

#[derive(Debug, Default)]
pub(crate) struct Publications {
    by_id: BTreeMap<u32, Publication>,
    by_sid: HashMap<String, u32>,
    by_identity: HashMap<String, Vec<u32>>,
    next_id: u32,
}

impl Publications {
    pub fn get(&self, track_id: u32) -> Option<&Publication> {
        self.by_id.get(&track_id)
    }

    pub fn id_of_sid(&self, sid: &str) -> Option<u32> {
        self.by_sid.get(sid).copied()
    }

    fn allocate_id(&mut self) -> u32 {
        // Ids are never reused within a manager; 0 stays free as "none" for the JS side.
        loop {
            self.next_id = self.next_id.wrapping_add(1);
            if self.next_id != 0 && !self.by_id.contains_key(&self.next_id) {
                return self.next_id;
            }
        }
    }

    /// Unpublishes one track. Its identity's list is left to the caller when that is the list
    /// being replaced (`update` rewrites it whole; fixing it per track would make it quadratic).
    fn remove(&mut self, track_id: u32, replacing: &str, changes: &mut PublicationChanges) {
        if let Some(p) = self.by_id.remove(&track_id) {
            self.by_sid.remove(&p.desc.sid);
            if p.identity != replacing {
                if let Some(ids) = self.by_identity.get_mut(&p.identity) {
                    ids.retain(|&id| id != track_id);
                    if ids.is_empty() {
                        self.by_identity.remove(&p.identity);
                    }
                }
            }
            changes.unpublished.push((track_id, p.desc.sid));
        }
    }

    /// Replaces the track list of `identity`. Tracks matched by SID are kept (descriptor fields
    /// refreshed) unless their name or E2EE flag changed, which makes them a different track (the
    /// old one unpublished, a new one published); an unmatched track whose (handle, name, E2EE)
    /// equals a vanished publication of the same identity is that publication under a new SID;
    /// the rest are new; whatever is left of the old list is unpublished. Of entries repeating a
    /// SID only the first counts. Linear in the lengths of both lists.
    pub fn update(&mut self, identity: &str, tracks: &[RemoteTrackDescriptor]) -> PublicationChanges {
        let mut changes = PublicationChanges::default();
        let old: Vec<u32> = self.by_identity.get(identity).cloned().unwrap_or_default();
        let mut kept: Vec<u32> = Vec::with_capacity(tracks.len());
        let mut kept_set: HashSet<u32> = HashSet::with_capacity(tracks.len());
        let mut seen_sids: HashSet<&str> = HashSet::with_capacity(tracks.len());
        let mut unmatched: Vec<&RemoteTrackDescriptor> = Vec::new();

        for d in tracks {
            if !seen_sids.insert(d.sid.as_str()) {
                continue; // duplicate SID in the list: the first entry counts
            }
            match self.by_sid.get(&d.sid).copied() {
                Some(id) => match self.by_id.get_mut(&id) {
                    Some(p) if p.identity == identity && p.desc.name == d.name && p.desc.uses_e2ee == d.uses_e2ee => {
                        p.desc = d.clone();
                        kept.push(id);
                        kept_set.insert(id);
                    }
                    _ => {
                        // The SID moved to another participant, or names another track now.
                        self.remove(id, identity, &mut changes);
                        unmatched.push(d);
                    }
                },
                None => unmatched.push(d),
            }
        }

        // Publications of the old list not matched by SID, by what a republish keeps, oldest first.
        let mut vanished: HashMap<(u16, String, bool), VecDeque<u32>> = HashMap::new();
        for &id in &old {
            if kept_set.contains(&id) {
                continue;
            }
            if let Some(p) = self.by_id.get(&id) {
                let key = (p.desc.pub_handle, p.desc.name.clone(), p.desc.uses_e2ee);
                vanished.entry(key).or_default().push_back(id);
            }
        }

        for d in unmatched {
            let candidate = vanished.get_mut(&(d.pub_handle, d.name.clone(), d.uses_e2ee)).and_then(|ids| ids.pop_front());
            match candidate {
                Some(id) => {
                    if let Some(p) = self.by_id.get_mut(&id) {
                        let old_sid = std::mem::replace(&mut p.desc.sid, d.sid.clone());
                        self.by_sid.remove(&old_sid);
                        self.by_sid.insert(d.sid.clone(), id);
                        changes.reassigned.push((id, old_sid, d.sid.clone()));
                    }
                    kept.push(id);
                    kept_set.insert(id);
                }
                None => {
                    let id = self.allocate_id();
                    self.by_id.insert(id, Publication { identity: identity.to_owned(), desc: d.clone() });
                    self.by_sid.insert(d.sid.clone(), id);
                    changes.published.push((id, d.sid.clone()));
                    kept.push(id);
                    kept_set.insert(id);
                }
            }
        }

        for id in old {
            if !kept_set.contains(&id) {
                self.remove(id, identity, &mut changes);
            }
        }
        if kept.is_empty() {
            self.by_identity.remove(identity);
        } else {
            self.by_identity.insert(identity.to_owned(), kept);
        }
        changes
    }

    pub fn remove_identity(&mut self, identity: &str) -> PublicationChanges {
        self.update(identity, &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(sid: &str, h: u16, name: &str) -> RemoteTrackDescriptor {
        RemoteTrackDescriptor { sid: sid.into(), pub_handle: h, name: name.into(), uses_e2ee: false }
    }

    #[test]
    fn publish_reassign_unpublish() {
        let mut p = Publications::default();
        let c = p.update("alice", &[d("TR_1", 1, "a"), d("TR_2", 2, "b")]);
        assert_eq!(c.published, vec![(1, "TR_1".into()), (2, "TR_2".into())]);
        // same list: no change
        assert!(p.update("alice", &[d("TR_1", 1, "a"), d("TR_2", 2, "b")]).is_empty());
        // full reconnect: new SIDs, same handle/name
        let c = p.update("alice", &[d("TR_3", 1, "a"), d("TR_4", 2, "b2")]);
        assert_eq!(c.reassigned, vec![(1, "TR_1".into(), "TR_3".into())]);
        assert_eq!(c.published, vec![(3, "TR_4".into())]);
        assert_eq!(c.unpublished, vec![(2, "TR_2".into())]);
        assert_eq!(p.id_of_sid("TR_3"), Some(1));
        assert_eq!(p.id_of_sid("TR_1"), None);
        let c = p.remove_identity("alice");
        assert_eq!(c.unpublished.len(), 2);
        assert!(p.by_identity.is_empty() && p.by_sid.is_empty() && p.by_id.is_empty());
    }

    #[test]
    fn identities_are_independent_and_sids_can_move() {
        let mut p = Publications::default();
        p.update("alice", &[d("TR_1", 1, "a")]);
        let c = p.update("bob", &[d("TR_2", 1, "a")]);
        assert_eq!(c.published, vec![(2, "TR_2".into())]);
        assert!(c.reassigned.is_empty());
        let c = p.update("bob", &[d("TR_2", 1, "a"), d("TR_1", 5, "z")]);
        assert_eq!(c.unpublished, vec![(1, "TR_1".into())]);
        assert_eq!(c.published, vec![(3, "TR_1".into())]);
        assert_eq!(p.by_identity.get("alice"), None);
        // duplicate SIDs in one list are ignored
        let c = p.update("carol", &[d("TR_9", 1, "a"), d("TR_9", 1, "a")]);
        assert_eq!(c.published.len(), 1);
    }

    #[test]
    fn a_rename_under_the_same_sid_is_a_new_track() {
        let mut p = Publications::default();
        let id = p.update("alice", &[d("TR_1", 1, "a")]).published[0].0;
        let c = p.update("alice", &[d("TR_1", 1, "b")]);
        assert_eq!(c.unpublished, vec![(id, "TR_1".into())]);
        assert_eq!(c.published.len(), 1);
        assert_ne!(c.published[0].0, id);
        assert_eq!(p.get(c.published[0].0).map(|x| x.desc.name.as_str()), Some("b"));
        // a changed handle alone is the same track
        assert!(p.update("alice", &[d("TR_1", 9, "b")]).is_empty());
    }

    #[test]
    fn duplicate_names_are_distinct_tracks_and_duplicate_sids_keep_the_first() {
        let mut p = Publications::default();
        let c = p.update("alice", &[d("TR_1", 1, "same"), d("TR_2", 2, "same"), d("TR_1", 3, "other")]);
        assert_eq!(c.published.len(), 2);
        assert_eq!(p.get(p.id_of_sid("TR_1").unwrap()).map(|x| x.desc.name.as_str()), Some("same"));
        assert_eq!(p.remove_identity("alice").unpublished.len(), 2);
    }

    #[test]
    fn ten_thousand_tracks_in_one_list() {
        let mut p = Publications::default();
        let many: Vec<_> = (0..10_000u32).map(|i| d(&format!("TR_{i}"), (i % 65_535 + 1) as u16, "x")).collect();
        assert_eq!(p.update("alice", &many).published.len(), 10_000);
        assert!(p.update("alice", &many).is_empty());
        assert_eq!(p.update("alice", &many[5_000..]).unpublished.len(), 5_000);
        assert_eq!(p.remove_identity("alice").unpublished.len(), 5_000);
    }
}
