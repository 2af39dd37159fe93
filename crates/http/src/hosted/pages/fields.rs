//! View models of the form parts shared by the steps (macros in templates/hosted/macros.html):
//! every text is resolved here, the templates only place and escape it.

use verity_domain::hosted::{FormErrors, Step};

use super::context::Ctx;
use crate::hosted::countries;

/// A text input with its label, hint and error.
pub(super) struct TextField {
    pub name: &'static str,
    pub label: String,
    pub value: String,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub inputmode: Option<&'static str>,
    pub autocomplete: Option<&'static str>,
    /// Hints by country (JSON object), which the page's script swaps in as the country changes.
    pub hints_by_country: Option<String>,
}

impl TextField {
    pub fn new(ctx: &Ctx, errors: &FormErrors, name: &'static str, label_key: &str, value: &str) -> TextField {
        TextField {
            name,
            label: ctx.tr.t(label_key),
            value: value.to_owned(),
            hint: None,
            error: errors.get(name).map(|key| ctx.tr.t(key)),
            inputmode: None,
            autocomplete: None,
            hints_by_country: None,
        }
    }

    /// A hint that follows the form's country: `hints` maps country codes to hints, `country` is
    /// the one chosen now.
    pub fn hint_by_country(mut self, hints: &[(&str, String)], country: &str) -> TextField {
        self.hint = Some(
            hints
                .iter()
                .find(|(c, _)| *c == country)
                .map(|(_, h)| h.clone())
                .unwrap_or_default(),
        );
        let map: serde_json::Map<String, serde_json::Value> = hints
            .iter()
            .map(|(c, h)| ((*c).to_owned(), serde_json::Value::String(h.clone())))
            .collect();
        self.hints_by_country = Some(serde_json::Value::Object(map).to_string());
        self
    }

    pub fn inputmode(mut self, mode: &'static str) -> TextField {
        self.inputmode = Some(mode);
        self
    }

    pub fn autocomplete(mut self, token: &'static str) -> TextField {
        self.autocomplete = Some(token);
        self
    }

    /// The ids of the hint and error that describe the input.
    pub fn described_by(&self) -> Option<String> {
        let ids: Vec<String> = [
            self.hint.as_ref().map(|_| format!("{}-hint", self.name)),
            self.error.as_ref().map(|_| format!("{}-error", self.name)),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// A date as three fields, day, month and year, in that order (the order of every language the
/// pages speak), stored as `YYYY-MM-DD`. The day's input takes the date's name, so that error
/// summaries link to it.
pub(super) struct DateField {
    pub name: &'static str,
    pub label: String,
    pub hint: String,
    pub error: Option<String>,
    pub day: String,
    pub month: String,
    pub year: String,
    pub day_label: String,
    pub month_label: String,
    pub year_label: String,
}

impl DateField {
    pub fn new(ctx: &Ctx, errors: &FormErrors, name: &'static str, label_key: &str, value: &str) -> DateField {
        // A stored date is `YYYY-MM-DD`; what a person typed wrongly comes back as it was.
        let (year, month, day) = match value.splitn(3, '-').collect::<Vec<_>>()[..] {
            [y, m, d] => (
                y.to_owned(),
                m.trim_start_matches('0').to_owned(),
                d.trim_start_matches('0').to_owned(),
            ),
            _ => (String::new(), String::new(), String::new()),
        };
        DateField {
            name,
            label: ctx.tr.t(label_key),
            hint: ctx.tr.t("field-date-hint"),
            error: errors.get(name).map(|key| ctx.tr.t(key)),
            day,
            month,
            year,
            day_label: ctx.tr.t("field-day"),
            month_label: ctx.tr.t("field-month"),
            year_label: ctx.tr.t("field-year"),
        }
    }

    pub fn described_by(&self) -> String {
        match &self.error {
            Some(_) => format!("{0}-hint {0}-error", self.name),
            None => format!("{}-hint", self.name),
        }
    }
}

/// The date of a form's three fields, as `YYYY-MM-DD` (checked later), or `whole` when the three
/// are empty (pages or scripts that send the date in one field).
pub(super) fn date_from_parts(day: &str, month: &str, year: &str, whole: &str) -> String {
    let (d, m, y) = (day.trim(), month.trim(), year.trim());
    if d.is_empty() && m.is_empty() && y.is_empty() {
        return whole.trim().to_owned();
    }
    match (d.parse::<u32>(), m.parse::<u32>(), y.parse::<u32>()) {
        (Ok(d), Ok(m), Ok(y)) if y >= 1000 => format!("{y:04}-{m:02}-{d:02}"),
        // Kept as typed: the check refuses it and the page shows it back.
        _ => format!("{y}-{m}-{d}"),
    }
}

/// One option of a list or a set of radio buttons.
pub(super) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A list of countries, sorted by their name in the page's language.
pub(super) struct CountrySelect {
    pub name: &'static str,
    pub label: String,
    /// The label of the search box the page's script shows above the list.
    pub search_label: String,
    pub options: Vec<Choice>,
    pub error: Option<String>,
}

impl CountrySelect {
    pub fn new(ctx: &Ctx, errors: &FormErrors, name: &'static str, label_key: &str, value: &str) -> CountrySelect {
        let mut options: Vec<(String, Choice)> = countries::codes()
            .filter_map(|code| {
                let label = countries::name(code, ctx.tr.lang)?;
                Some((
                    countries::sort_key(label),
                    Choice {
                        value: code.to_owned(),
                        label: label.to_owned(),
                        selected: code == value,
                    },
                ))
            })
            .collect();
        options.sort_by(|a, b| a.0.cmp(&b.0));
        CountrySelect {
            name,
            label: ctx.tr.t(label_key),
            search_label: ctx.tr.t("country-search"),
            options: options.into_iter().map(|(_, c)| c).collect(),
            error: errors.get(name).map(|key| ctx.tr.t(key)),
        }
    }
}

/// A form sending one file to a slot of a step.
pub(super) struct UploadForm {
    pub action: String,
    pub csrf: String,
    pub slot: &'static str,
    pub label: String,
    pub accept: &'static str,
    pub capture: Option<&'static str>,
    /// The "uploaded" notice, once the slot has a file.
    pub done: Option<String>,
    pub button: String,
    pub uploading: String,
}

impl UploadForm {
    pub fn new(ctx: &Ctx, step: Step, slot: &'static str, label: String, accept: &'static str) -> UploadForm {
        let done = ctx.progress.files.contains_key(slot);
        UploadForm {
            action: ctx.step_url(step),
            csrf: ctx.progress.csrf.clone(),
            slot,
            label,
            accept,
            capture: None,
            done: done.then(|| ctx.tr.t("upload-done")),
            button: ctx.tr.t(if done { "upload-replace" } else { "upload-send" }),
            uploading: ctx.tr.t("capture-uploading"),
        }
    }

    /// Which camera a phone opens for the file input.
    pub fn capture(mut self, facing: &'static str) -> UploadForm {
        self.capture = Some(facing);
        self
    }
}

/// A button that confirms a step and moves on.
pub(super) struct ContinueForm {
    pub action: String,
    pub csrf: String,
    pub label: String,
}

impl ContinueForm {
    pub fn new(ctx: &Ctx, step: Step, label_key: &str) -> ContinueForm {
        ContinueForm {
            action: ctx.step_url(step),
            csrf: ctx.progress.csrf.clone(),
            label: ctx.tr.t(label_key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::date_from_parts;

    #[test]
    fn three_fields_make_one_date() {
        assert_eq!(date_from_parts("31", "7", "1985", ""), "1985-07-31");
        assert_eq!(date_from_parts(" 3", "02", "1970", ""), "1970-02-03");
        assert_eq!(date_from_parts("", "", "", "1985-07-31"), "1985-07-31");
        // Not a date: kept as typed, for the check to refuse and the page to show back.
        assert_eq!(date_from_parts("31", "13", "85", ""), "85-13-31");
    }
}
