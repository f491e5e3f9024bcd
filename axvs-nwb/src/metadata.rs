//! The session's metadata (the rig's `[session]` table and `--meta`) as NWB's fields.

use std::collections::BTreeMap;

/// The subject fields DANDI requires, by their metadata key.
pub const DANDI_SUBJECT_KEYS: [&str; 4] = ["subject_id", "species", "sex", "age"];

/// Subject fields NWB's `Subject` holds, by their metadata key (`subject` is taken for `subject_id`, and
/// `subject_description` for its `description`).
const SUBJECT_KEYS: [&str; 8] = [
    "subject_id",
    "species",
    "sex",
    "age",
    "date_of_birth",
    "genotype",
    "strain",
    "weight",
];

/// Free-text fields of NWB's `/general`, by their metadata key.
const GENERAL_KEYS: [&str; 7] = [
    "experiment_description",
    "institution",
    "lab",
    "session_id",
    "protocol",
    "notes",
    "surgery",
];

/// A session's metadata, read for NWB.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata(pub BTreeMap<String, String>);

impl Metadata {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str).filter(|v| !v.trim().is_empty())
    }

    /// The session's description: `session_description` or `description`.
    pub fn description(&self) -> Option<&str> {
        self.get("session_description").or_else(|| self.get("description"))
    }

    /// The experimenters (`experimenter`, several separated by `;`).
    pub fn experimenters(&self) -> Vec<String> {
        self.list("experimenter", ';')
    }

    /// The keywords (`keywords`, separated by `,`).
    pub fn keywords(&self) -> Vec<String> {
        self.list("keywords", ',')
    }

    /// The values `key` lists, separated by `separator`.
    fn list(&self, key: &str, separator: char) -> Vec<String> {
        self.get(key)
            .map(|v| {
                v.split(separator)
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `/general`'s free-text fields present.
    pub fn general(&self) -> Vec<(&'static str, &str)> {
        GENERAL_KEYS.iter().filter_map(|k| Some((*k, self.get(k)?))).collect()
    }

    /// The subject's fields present (NWB's names); empty when the session names no subject.
    pub fn subject(&self) -> Vec<(&'static str, &str)> {
        let mut fields: Vec<(&'static str, &str)> = SUBJECT_KEYS
            .iter()
            .filter_map(|k| {
                let value = match *k {
                    "subject_id" => self.get("subject_id").or_else(|| self.get("subject")),
                    k => self.get(k),
                }?;
                Some((*k, value))
            })
            .collect();
        if let Some(description) = self.get("subject_description") {
            fields.push(("description", description));
        }
        fields
    }

    /// The fields DANDI requires of a subject that are missing.
    pub fn missing_for_dandi(&self) -> Vec<&'static str> {
        let present = self.subject();
        DANDI_SUBJECT_KEYS
            .into_iter()
            .filter(|k| !present.iter().any(|(name, _)| name == k))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(pairs: &[(&str, &str)]) -> Metadata {
        Metadata(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn metadata_keys_become_nwb_fields() {
        let m = metadata(&[
            ("subject", "m12"),
            ("species", "Mus musculus"),
            ("experimenter", "Lab, A.; Doe, J."),
            ("description", "open field"),
            ("keywords", "video, behaviour"),
            ("lab", "Vision"),
            ("sex", " "),
        ]);
        assert_eq!(m.subject(), [("subject_id", "m12"), ("species", "Mus musculus")]);
        assert_eq!(m.missing_for_dandi(), ["sex", "age"], "a blank value is missing");
        assert_eq!(m.experimenters(), ["Lab, A.", "Doe, J."]);
        assert_eq!(m.keywords(), ["video", "behaviour"]);
        assert_eq!(m.description(), Some("open field"));
        assert_eq!(m.general(), [("lab", "Vision")]);
        assert!(metadata(&[]).subject().is_empty());
        assert_eq!(metadata(&[]).missing_for_dandi(), DANDI_SUBJECT_KEYS);
    }
}
