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
        }
    }

    pub fn hint(mut self, ctx: &Ctx, key: &str) -> TextField {
        self.hint = Some(ctx.tr.t(key));
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
