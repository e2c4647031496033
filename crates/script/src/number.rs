//! Numbers said as words. A script may write "1995", "2,000", "3rd", "$5" or "50%", and the
//! recogniser may hear them either as digits or as words; a listener accepts every usual way of
//! saying them: "nineteen ninety-five" and "one thousand nine hundred and ninety-five", "two
//! thousand and five" and "twenty oh five", "a hundred" and "one hundred".

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
const SCALES: [(u64, &str); 4] =
    [(1_000_000_000_000, "trillion"), (1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand")];

type Form = Vec<String>;

/// The spoken forms of a token containing digits, or none if it is not a number Encore knows how
/// to say (the caller then reads it as letters and digits).
pub(crate) fn forms(part: &str) -> Vec<Form> {
    let (currency, rest) = match part.chars().next() {
        Some('$') => (Some(("dollar", "dollars", "cents")), &part[1..]),
        Some('£') => (Some(("pound", "pounds", "pence")), &part['£'.len_utf8()..]),
        Some('€') => (Some(("euro", "euros", "cents")), &part['€'.len_utf8()..]),
        _ => (None, part),
    };
    let (rest, percent) = match rest.strip_suffix('%') {
        Some(stripped) => (stripped, true),
        None => (rest, false),
    };
    let rest = rest.trim_start_matches('\'');
    let mut forms = match currency {
        Some(units) => money(rest, units),
        None => plain(rest),
    };
    if percent {
        for form in &mut forms {
            form.push("percent".into());
        }
    }
    forms.truncate(8);
    forms
}

fn words(list: &[&str]) -> Form {
    list.iter().map(|s| s.to_string()).collect()
}

fn digits_only(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A number without currency or percent sign.
fn plain(text: &str) -> Vec<Form> {
    if let Some(forms) = ordinal(text) {
        return forms;
    }
    if let Some(stem) = text.strip_suffix('s')
        && digits_only(stem)
    {
        return decade(stem);
    }
    if let Some((hours, minutes)) = text.split_once(':')
        && digits_only(hours)
        && minutes.len() == 2
        && digits_only(minutes)
    {
        return time(hours, minutes);
    }
    if let Some((whole, fraction)) = text.split_once('.')
        && digits_only(fraction)
        && (whole.is_empty() || is_integer(whole))
    {
        return decimal(whole, fraction);
    }
    if is_integer(text) {
        return integer(text);
    }
    mixed(text)
}

/// Digits, with or without thousands separators in the right places.
fn is_integer(text: &str) -> bool {
    if digits_only(text) {
        return true;
    }
    let groups: Vec<&str> = text.split(',').collect();
    groups.len() > 1
        && digits_only(groups[0])
        && groups[0].len() <= 3
        && groups[1..].iter().all(|group| group.len() == 3 && digits_only(group))
}

fn integer(text: &str) -> Vec<Form> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    // "007" and very long digit strings are read digit by digit.
    if (digits.len() > 1 && digits.starts_with('0')) || digits.len() > 15 {
        let by_digit: Form = digits.bytes().map(|b| ONES[(b - b'0') as usize].to_string()).collect();
        let with_oh: Form = digits
            .bytes()
            .map(|b| if b == b'0' { "oh".to_string() } else { ONES[(b - b'0') as usize].to_string() })
            .collect();
        return vec![by_digit, with_oh];
    }
    let Ok(value) = digits.parse::<u64>() else {
        return Vec::new();
    };
    let mut forms = Vec::new();
    let year_like = !text.contains(',') && digits.len() == 4;
    if year_like && (1100..=2099).contains(&value) {
        forms.extend(year(value));
    }
    for form in cardinal_forms(value) {
        if !forms.contains(&form) {
            forms.push(form);
        }
    }
    forms
}

/// "1995" as a year: "nineteen ninety five", "nineteen hundred", "nineteen oh five", "twenty ten".
fn year(value: u64) -> Vec<Form> {
    let (high, low) = (value / 100, value % 100);
    let mut forms = Vec::new();
    if (2000..=2009).contains(&value) {
        if low == 0 {
            forms.push(words(&["two", "thousand"]));
        } else {
            forms.push(words(&["two", "thousand", ONES[low as usize]]));
            forms.push(words(&["two", "thousand", "and", ONES[low as usize]]));
            forms.push(words(&["twenty", "oh", ONES[low as usize]]));
        }
        return forms;
    }
    let mut head = cardinal(high, false);
    if low == 0 {
        head.push("hundred".into());
        forms.push(head);
    } else if low < 10 {
        let mut oh = head.clone();
        oh.push("oh".into());
        oh.push(ONES[low as usize].into());
        forms.push(oh);
        let mut hundred = head;
        hundred.push("hundred".into());
        hundred.push("and".into());
        hundred.push(ONES[low as usize].into());
        forms.push(hundred);
    } else {
        head.extend(cardinal(low, false));
        forms.push(head);
    }
    forms
}

/// The cardinal with and without the British "and", and with "a" for a leading "one hundred".
fn cardinal_forms(value: u64) -> Vec<Form> {
    let mut forms = vec![cardinal(value, false)];
    let with_and = cardinal(value, true);
    if !forms.contains(&with_and) {
        forms.push(with_and);
    }
    for index in 0..forms.len() {
        let form = &forms[index];
        if form.len() > 1 && form[0] == "one" && matches!(form[1].as_str(), "hundred" | "thousand" | "million") {
            let mut a = form.clone();
            a[0] = "a".into();
            forms.push(a);
        }
    }
    forms
}

/// The number in words: 1961 → "one thousand nine hundred sixty one"; with `and`, British style
/// ("one thousand nine hundred and sixty one").
pub(crate) fn cardinal(value: u64, and: bool) -> Form {
    if value == 0 {
        return words(&["zero"]);
    }
    let mut out = Form::new();
    let mut rest = value;
    for (scale, name) in SCALES {
        if rest >= scale {
            out.extend(cardinal(rest / scale, and));
            out.push(name.into());
            rest %= scale;
        }
    }
    if rest >= 100 {
        out.push(ONES[(rest / 100) as usize].into());
        out.push("hundred".into());
        rest %= 100;
    }
    if rest > 0 {
        if and && !out.is_empty() {
            out.push("and".into());
        }
        if rest < 20 {
            out.push(ONES[rest as usize].into());
        } else {
            out.push(TENS[(rest / 10) as usize].into());
            if !rest.is_multiple_of(10) {
                out.push(ONES[(rest % 10) as usize].into());
            }
        }
    }
    out
}

/// "3rd", "21st", "100th".
fn ordinal(text: &str) -> Option<Vec<Form>> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, suffix) = text.split_at(split);
    if digits.is_empty() || !matches!(suffix, "st" | "nd" | "rd" | "th") {
        return None;
    }
    let value: u64 = digits.parse().ok()?;
    Some(cardinal_forms(value).into_iter().map(|form| last_word(form, ordinal_word)).collect())
}

fn ordinal_word(word: &str) -> String {
    match word {
        "one" => "first".into(),
        "two" => "second".into(),
        "three" => "third".into(),
        "five" => "fifth".into(),
        "eight" => "eighth".into(),
        "nine" => "ninth".into(),
        "twelve" => "twelfth".into(),
        _ if word.ends_with('y') => format!("{}ieth", &word[..word.len() - 1]),
        _ => format!("{word}th"),
    }
}

fn last_word(mut form: Form, change: fn(&str) -> String) -> Form {
    if let Some(last) = form.last_mut() {
        *last = change(last);
    }
    form
}

/// "1990s" → "nineteen nineties", "90s" → "nineties".
fn decade(digits: &str) -> Vec<Form> {
    integer(digits).into_iter().map(|form| last_word(form, plural_word)).collect()
}

fn plural_word(word: &str) -> String {
    match word.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None if word.ends_with('x') => format!("{word}es"),
        None => format!("{word}s"),
    }
}

/// "3:30" → "three thirty", "3:05" → "three oh five", "3:00" → "three o'clock".
fn time(hours: &str, minutes: &str) -> Vec<Form> {
    let (Ok(hour), Ok(minute)) = (hours.parse::<u64>(), minutes.parse::<u64>()) else {
        return Vec::new();
    };
    let head = cardinal(hour, false);
    let mut forms = Vec::new();
    if minute == 0 {
        let mut clock = head.clone();
        clock.push("oclock".into());
        forms.push(clock);
        forms.push(head);
    } else if minute < 10 {
        let mut oh = head;
        oh.push("oh".into());
        oh.push(ONES[minute as usize].into());
        forms.push(oh);
    } else {
        let mut form = head;
        form.extend(cardinal(minute, false));
        forms.push(form);
    }
    forms
}

/// "3.5" → "three point five"; "0.5" also "point five" and "nought point five".
fn decimal(whole: &str, fraction: &str) -> Vec<Form> {
    let tail: Form = std::iter::once("point".to_string())
        .chain(fraction.bytes().map(|b| ONES[(b - b'0') as usize].to_string()))
        .collect();
    let whole_value: u64 = if whole.is_empty() {
        0
    } else {
        match whole.chars().filter(char::is_ascii_digit).collect::<String>().parse() {
            Ok(value) => value,
            Err(_) => return Vec::new(),
        }
    };
    let mut forms: Vec<Form> = cardinal_forms(whole_value)
        .into_iter()
        .take(2)
        .map(|mut form| {
            form.extend(tail.iter().cloned());
            form
        })
        .collect();
    if whole_value == 0 {
        forms.push(tail.clone());
        let mut nought = vec!["nought".to_string()];
        nought.extend(tail.iter().cloned());
        forms.push(nought);
        let mut oh = vec!["oh".to_string()];
        oh.extend(tail.iter().cloned());
        forms.push(oh);
    }
    forms
}

/// "$5" → "five dollars"; "$5.50" → "five dollars fifty", "five fifty", "five dollars and fifty cents".
fn money(text: &str, (one, many, cents): (&str, &str, &str)) -> Vec<Form> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if !is_integer(whole) || !(fraction.is_empty() || (fraction.len() == 2 && digits_only(fraction))) {
        return plain(text);
    }
    let amounts = cardinal_forms(whole.chars().filter(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0));
    let unit = if amounts[0] == ["one"] { one } else { many };
    let mut forms = Vec::new();
    let fraction_value: u64 = fraction.parse().unwrap_or(0);
    for amount in amounts.iter().take(2) {
        let mut form = amount.clone();
        form.push(unit.into());
        if fraction_value > 0 {
            let small = cardinal(fraction_value, false);
            let mut bare = form.clone();
            bare.extend(small.iter().cloned());
            let mut with_cents = bare.clone();
            with_cents.push(cents.into());
            let mut with_and = form.clone();
            with_and.push("and".into());
            with_and.extend(small.iter().cloned());
            with_and.push(cents.into());
            let mut short = amount.clone();
            short.extend(small.iter().cloned());
            forms.extend([bare, with_cents, with_and, short]);
        } else {
            forms.push(form);
        }
    }
    forms
}

/// Letters and digits mixed ("mp3", "covid19"): each run of digits as a number, letters as they are.
fn mixed(text: &str) -> Vec<Form> {
    let mut form = Form::new();
    let mut run = String::new();
    let mut run_is_digits = false;
    let flush = |run: &mut String, digits: bool, form: &mut Form| {
        if run.is_empty() {
            return;
        }
        if digits {
            match run.parse::<u64>() {
                Ok(value) if run.len() <= 15 => form.extend(cardinal(value, false)),
                _ => form.extend(run.bytes().map(|b| ONES[(b - b'0') as usize].to_string())),
            }
        } else {
            // Spelt as every other word is, so that "colour3" is "color three" when heard.
            form.push(crate::reading::canonical(run));
        }
        run.clear();
    };
    for c in text.chars() {
        if !c.is_alphanumeric() {
            flush(&mut run, run_is_digits, &mut form);
            continue;
        }
        let digit = c.is_ascii_digit();
        if digit != run_is_digits {
            flush(&mut run, run_is_digits, &mut form);
            run_is_digits = digit;
        }
        run.push(c);
    }
    flush(&mut run, run_is_digits, &mut form);
    if form.is_empty() { Vec::new() } else { vec![form] }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(written: &str, expected: &[&str]) {
        let got: Vec<String> = forms(written).iter().map(|form| form.join(" ")).collect();
        assert_eq!(got, expected, "forms of {written:?}");
    }

    #[test]
    fn numbers_in_words() {
        check(
            "1961",
            &[
                "nineteen sixty one",
                "one thousand nine hundred sixty one",
                "one thousand nine hundred and sixty one",
                "a thousand nine hundred sixty one",
                "a thousand nine hundred and sixty one",
            ],
        );
        check("10", &["ten"]);
        check("0", &["zero"]);
        check("2,000", &["two thousand", "a thousand"][..1]);
        check("007", &["zero zero seven", "oh oh seven"]);
        check("3rd", &["third"]);
        check("12th", &["twelfth"]);
        check("40th", &["fortieth"]);
        check("90s", &["nineties"]);
        check("3:00", &["three oclock", "three"]);
        check("mp3", &["mp three"]);
        assert_eq!(cardinal(1_000_001, true).join(" "), "one million and one");
    }
}
