//! British and American spellings of the same spoken word ("colour" and "color", "realise" and
//! "realize", "travelled" and "traveled"). A script written in one and a recogniser that writes the
//! other must not disagree, so every token is brought to one canonical spelling before matching.
//! The canonical form need not be a real word: it only has to be the same for both spellings, and
//! must not merge words that sound different. Rules cover the regular families (-ise/-ize,
//! -yse/-yze, doubled l, -ogue); a list covers the stems and the irregular pairs.

use std::collections::HashMap;
use std::sync::LazyLock;

/// Whole words: British (or variant) spelling → canonical spelling.
const WORDS: &[(&str, &str)] = &[
    ("grey", "gray"),
    ("greys", "grays"),
    ("greyer", "grayer"),
    ("greyish", "grayish"),
    ("programme", "program"),
    ("programmes", "programs"),
    ("cheque", "check"),
    ("cheques", "checks"),
    ("tyre", "tire"),
    ("tyres", "tires"),
    ("kerb", "curb"),
    ("plough", "plow"),
    ("ploughed", "plowed"),
    ("mould", "mold"),
    ("mouldy", "moldy"),
    ("moulded", "molded"),
    ("smoulder", "smolder"),
    ("smouldering", "smoldering"),
    ("aluminium", "aluminum"),
    ("aeroplane", "airplane"),
    ("aeroplanes", "airplanes"),
    ("pyjamas", "pajamas"),
    ("sceptic", "skeptic"),
    ("sceptical", "skeptical"),
    ("scepticism", "skepticism"),
    ("storey", "story"),
    ("storeys", "stories"),
    ("whisky", "whiskey"),
    ("axe", "ax"),
    ("doughnut", "donut"),
    ("doughnuts", "donuts"),
    ("artefact", "artifact"),
    ("artefacts", "artifacts"),
    ("moustache", "mustache"),
    ("cosy", "cozy"),
    ("tonne", "ton"),
    ("tonnes", "tons"),
    ("draught", "draft"),
    ("draughts", "drafts"),
    ("gaol", "jail"),
    ("ageing", "aging"),
    ("judgement", "judgment"),
    ("judgements", "judgments"),
    ("acknowledgement", "acknowledgment"),
    ("practise", "practice"),
    ("practised", "practiced"),
    ("practising", "practicing"),
    ("defence", "defense"),
    ("defences", "defenses"),
    ("offence", "offense"),
    ("offences", "offenses"),
    ("pretence", "pretense"),
    ("licence", "license"),
    ("licences", "licenses"),
    ("woollen", "woolen"),
    ("jewellery", "jewelry"),
    ("jeweller", "jeweler"),
    ("fulfil", "fulfill"),
    ("fulfils", "fulfills"),
    ("fulfilment", "fulfillment"),
    ("skilful", "skillful"),
    ("wilful", "willful"),
    ("enrol", "enroll"),
    ("enrolment", "enrollment"),
    ("instalment", "installment"),
    ("distil", "distill"),
    ("instil", "instill"),
    ("sulphur", "sulfur"),
    ("speciality", "specialty"),
    ("learnt", "learned"),
    ("spelt", "spelled"),
    ("dreamt", "dreamed"),
    ("burnt", "burned"),
    ("leapt", "leaped"),
    ("spoilt", "spoiled"),
    ("centred", "centered"),
    ("manoeuvre", "maneuver"),
    ("manoeuvres", "maneuvers"),
    ("manoeuvred", "maneuvered"),
    ("encyclopaedia", "encyclopedia"),
    ("paediatric", "pediatric"),
    ("anaemia", "anemia"),
    ("anaemic", "anemic"),
    ("anaesthetic", "anesthetic"),
    ("haemorrhage", "hemorrhage"),
    ("orthopaedic", "orthopedic"),
    ("oestrogen", "estrogen"),
    ("foetus", "fetus"),
    ("mediaeval", "medieval"),
    ("archaeology", "archeology"),
    ("leukaemia", "leukemia"),
    ("connexion", "connection"),
    ("mum", "mum"),
    ("pyjama", "pajama"),
    ("omelette", "omelet"),
    ("cheques", "checks"),
    ("catalogue", "catalog"),
    ("dialogue", "dialog"),
    ("analogue", "analog"),
    ("monologue", "monolog"),
    ("prologue", "prolog"),
    ("epilogue", "epilog"),
    ("travelogue", "travelog"),
];

/// Stems that keep their difference inside longer words ("colourful", "favourite", "centres").
const STEMS: &[(&str, &str)] = &[
    ("colour", "color"),
    ("honour", "honor"),
    ("favour", "favor"),
    ("labour", "labor"),
    ("neighbour", "neighbor"),
    ("behaviour", "behavior"),
    ("humour", "humor"),
    ("flavour", "flavor"),
    ("harbour", "harbor"),
    ("rumour", "rumor"),
    ("vapour", "vapor"),
    ("armour", "armor"),
    ("endeavour", "endeavor"),
    ("savour", "savor"),
    ("valour", "valor"),
    ("vigour", "vigor"),
    ("odour", "odor"),
    ("parlour", "parlor"),
    ("splendour", "splendor"),
    ("tumour", "tumor"),
    ("clamour", "clamor"),
    ("rigour", "rigor"),
    ("fervour", "fervor"),
    ("candour", "candor"),
    ("ardour", "ardor"),
    ("saviour", "savior"),
    ("demeanour", "demeanor"),
    ("glamour", "glamor"),
    ("centre", "center"),
    ("theatre", "theater"),
    ("metre", "meter"),
    ("litre", "liter"),
    ("fibre", "fiber"),
    ("calibre", "caliber"),
    ("sombre", "somber"),
    ("spectre", "specter"),
    ("meagre", "meager"),
    ("lustre", "luster"),
    ("sabre", "saber"),
    ("mitre", "miter"),
    ("sepulchre", "sepulcher"),
];

/// Word endings with -ize/-yze; the z is made s, since both are said the same.
const Z_ENDINGS: &[&str] = &[
    "ize",
    "izes",
    "ized",
    "izing",
    "izer",
    "izers",
    "ization",
    "izations",
    "izational",
    "yze",
    "yzes",
    "yzed",
    "yzing",
    "yzer",
];

/// Endings where British English doubles a final l ("travelled", "cancelling").
const DOUBLE_L_ENDINGS: &[&str] = &["lled", "lling", "ller", "llers"];

static WORD_TABLE: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| WORDS.iter().copied().collect());

/// The canonical spelling of a lower-case token.
pub(crate) fn american(token: &str) -> String {
    if let Some(canonical) = WORD_TABLE.get(token) {
        return (*canonical).to_string();
    }
    let mut word = token.to_string();
    for (british, american) in STEMS {
        if word.contains(british) {
            word = word.replacen(british, american, 1);
            break;
        }
    }
    for ending in Z_ENDINGS {
        if let Some(stem) = word.strip_suffix(ending)
            && stem.len() >= 2
        {
            word = format!("{stem}{}", ending.replacen('z', "s", 1));
            break;
        }
    }
    for ending in DOUBLE_L_ENDINGS {
        if let Some(stem) = word.strip_suffix(ending)
            && (stem.ends_with('e') || stem.ends_with('a'))
            && stem.len() >= 3
        {
            word = format!("{stem}{}", &ending[1..]);
            break;
        }
    }
    word
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(british: &str, american_spelling: &str) {
        assert_eq!(american(british), american(american_spelling), "{british} vs {american_spelling}");
    }

    #[test]
    fn pairs_meet() {
        check("colourful", "colorful");
        check("neighbourhood", "neighborhood");
        check("centres", "centers");
        check("realisation", "realization");
        check("paralysed", "paralyzed");
        check("cancelling", "canceling");
        check("modelled", "modeled");
        check("labelled", "labeled");
        check("traveller", "traveler");
        check("grey", "gray");
        check("dialogue", "dialog");
        assert_ne!(american("four"), american("for"));
        assert_ne!(american("size"), american("sign"));
    }
}
