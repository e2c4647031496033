//! Contractions and informal spellings said either way: "don't" = "do not", "it's" = "it is",
//! "gonna" = "going to". The recogniser writes whichever it likes, and performers contract or
//! expand without changing the meaning, so both sides are expanded to every accepted form.

/// Contractions that start with an apostrophe, so the apostrophe is part of the word.
const LEADING: &[&str] = &["em", "cause", "cos", "tis", "twas", "til", "till", "bout", "n", "round"];

/// True when a token starting with an apostrophe is a word of its own ("'em", "'90s") rather than
/// a quotation mark.
pub(crate) fn keeps_leading_apostrophe(token: &str) -> bool {
    let rest = token.trim_start_matches('\'');
    let word: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
    rest.starts_with(|c: char| c.is_ascii_digit()) || LEADING.contains(&word.as_str())
}

/// The spoken forms of a token with an apostrophe, the written form first.
pub(crate) fn forms(token: &str) -> Vec<Vec<String>> {
    let plain: String = token.chars().filter(|&c| c != '\'').collect();
    let mut forms: Vec<Vec<String>> = vec![vec![plain.clone()]];
    let mut add = |form: &[&str]| {
        let form: Vec<String> = form.iter().map(|s| s.to_string()).collect();
        if !forms.contains(&form) {
            forms.push(form);
        }
    };
    match token {
        "can't" => {
            add(&["cannot"]);
            add(&["can", "not"]);
        }
        "won't" => add(&["will", "not"]),
        "shan't" => add(&["shall", "not"]),
        "ain't" => {
            add(&["am", "not"]);
            add(&["is", "not"]);
            add(&["are", "not"]);
        }
        "let's" => add(&["let", "us"]),
        "y'all" => add(&["you", "all"]),
        "'em" => add(&["them"]),
        "'cause" | "'cos" => add(&["because"]),
        "'til" => {
            add(&["till"]);
            add(&["until"]);
        }
        "'tis" => add(&["it", "is"]),
        "'twas" => add(&["it", "was"]),
        "'bout" => add(&["about"]),
        "'n" => add(&["and"]),
        "o'clock" => add(&["o", "clock"]),
        _ => {
            let suffixes: &[(&str, &[&[&str]])] = &[
                ("n't", &[&["not"]]),
                ("'re", &[&["are"]]),
                ("'ve", &[&["have"]]),
                ("'ll", &[&["will"], &["shall"]]),
                ("'d", &[&["would"], &["had"], &["did"]]),
                ("'m", &[&["am"]]),
                ("'s", &[&["is"], &["has"], &["us"], &["does"]]),
            ];
            for (suffix, expansions) in suffixes {
                if let Some(stem) = token.strip_suffix(suffix)
                    && !stem.is_empty()
                {
                    for expansion in *expansions {
                        let mut form = vec![stem];
                        form.extend_from_slice(expansion);
                        add(&form);
                    }
                }
            }
            // Verse elides a past tense's vowel ("tatter'd", "remember'd", "unblest'd"); it is
            // read, and heard, as the full word.
            if let Some(stem) = token.strip_suffix("'d")
                && stem.len() > 3
            {
                let past = if stem.ends_with('e') { format!("{stem}d") } else { format!("{stem}ed") };
                add(&[past.as_str()]);
            }
        }
    }
    forms
}

/// Informal spellings of several words ("gonna") and their expansions; other tokens as they are.
pub(crate) fn informal(token: &str) -> Vec<Vec<String>> {
    let expansions: &[&str] = match token {
        "gonna" => &["going to"],
        "wanna" => &["want to"],
        "gotta" => &["got to", "got a"],
        "kinda" => &["kind of"],
        "sorta" => &["sort of"],
        "lemme" => &["let me"],
        "gimme" => &["give me"],
        "dunno" => &["do not know", "don't know"],
        "outta" => &["out of"],
        "lotta" => &["lot of"],
        "cannot" => &["can not"],
        "alright" => &["all right"],
        "ok" => &["okay"],
        "okay" => &["ok"],
        "yknow" => &["you know"],
        _ => &[],
    };
    let mut forms = vec![vec![token.to_string()]];
    for expansion in expansions {
        forms.push(expansion.split(' ').map(|word| word.replace('\'', "")).collect());
    }
    forms
}
