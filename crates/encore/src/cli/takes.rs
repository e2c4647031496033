//! `encore take` and `encore reanalyze`: takes kept in the store and judged, through the
//! rehearsal layer, which keeps a take before judging it so that a take interrupted at any
//! moment is either absent or kept and finished by `encore reanalyze` (which also keeps the
//! takes the stage was recording when it died).

use anyhow::Context;
use encore_audio::Audio;
use encore_listen::Recogniser;
use encore_rehearsal::{Settings, TakeAudio};
use encore_script::Script;
use encore_store::Take;

use super::args::{ReanalyzeArgs, TakeArgs};
use super::progress;

pub fn run_take(args: &TakeArgs, settings: &Settings) -> anyhow::Result<()> {
    super::refuse_video(args.video.as_deref(), Some(&args.piece))?;
    let store = settings.open_store()?;
    let piece = store.find_piece(&args.piece)?;
    let script = Script::parse(&piece.script.text)?;

    let performer = match &args.performer {
        Some(name) => {
            let club = encore_rehearsal::club_of(store.as_ref())?;
            let (member, _) = club
                .member_to_log_in(name)?
                .ok_or_else(|| encore_store::StoreError::NoSuchMember { name: name.clone() })?;
            Some(member.id)
        }
        None => None,
    };
    let name = args.audio.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let bytes = std::fs::read(&args.audio).map_err(|error| encore_audio::AudioError::reading(&args.audio, error))?;
    // A file that cannot be heard is refused before anything is kept.
    let audio =
        TakeAudio::from_file(bytes, &name).with_context(|| format!("cannot use {} as a take", args.audio.display()))?;
    if args.queue {
        let (take, job) = encore_rehearsal::keep_and_queue(store.as_ref(), &piece, &audio, performer)?;
        println!("{}", take.id);
        progress::say(&format!(
            "kept take {} of \"{}\" and queued its analysis ({}); `encore queue` shows how it gets on",
            take.id,
            piece.title,
            super::queue::place_text(job.place)
        ));
        return Ok(());
    }
    let take = encore_rehearsal::keep_take(store.as_ref(), &piece, &audio, performer)?;
    progress::say(&format!("kept take {} of \"{}\"; analysing it", take.id, piece.title));

    let (report, drills) = settings
        .model
        .load(&mut |message| progress::say(message))
        .map_err(anyhow::Error::from)
        .and_then(|recogniser| {
            let judgement = judge(&recogniser, &script, &audio.audio)?;
            let drills = encore_rehearsal::save_judgement(store.as_ref(), take.id, &judgement)?;
            Ok((judgement.report, drills))
        })
        .with_context(|| {
            format!("take {} is kept; analyse it later with: encore reanalyze --take {}", take.id, take.id)
        })?;
    let take = store.take(take.id)?;
    let standing = encore_rehearsal::standing_of(store.as_ref(), &take)?.expect("the take was just analysed");

    super::print_report(&report, &script, args.json, Some(&format!("Take {}: {}.", take.id, standing.text)))?;
    if let Some(said) = super::drills::after_take(&drills) {
        progress::say(&format!("{said} (practise them with: encore drill {})", piece.id));
    }
    Ok(())
}

pub fn run_reanalyze(args: &ReanalyzeArgs, settings: &Settings) -> anyhow::Result<()> {
    let store = settings.open_store()?;
    // A take the stage was recording when it died is kept first, then analysed with the others.
    let recordings = settings.recordings_dir()?;
    for take in encore_rehearsal::recover_interrupted(store.as_ref(), &recordings)? {
        progress::say(&format!("kept take {}, recorded when the stage stopped ({})", take.id, take.source_name));
    }
    let takes: Vec<Take> = if let Some(id) = args.take {
        vec![store.take(id)?]
    } else if let Some(piece) = &args.piece {
        store.takes(store.find_piece(piece)?.id)?
    } else if args.all {
        store.all_takes()?
    } else {
        store.all_takes()?.into_iter().filter(|t| t.report.is_none()).collect()
    };
    if takes.is_empty() {
        progress::say(if args.piece.is_some() || args.all {
            "no takes to analyse"
        } else {
            "every take has its report; name a piece, a --take or --all to analyse again"
        });
        return Ok(());
    }
    let recogniser = settings.model.load(&mut |message| progress::say(message))?;
    let mut failed = 0;
    for (number, take) in takes.iter().enumerate() {
        progress::say(&format!("analysing take {} ({} of {})", take.id, number + 1, takes.len()));
        let bar = progress::seconds_bar("listening", take.duration.unwrap_or(0.0));
        let seconds = take.duration.unwrap_or(0.0);
        let result = encore_rehearsal::reanalyze(store.as_ref(), take, &recogniser, &mut |done| {
            bar.set_position((done * seconds * 10.0) as u64)
        });
        bar.finish_and_clear();
        if let Err(error) = result {
            failed += 1;
            progress::say(&format!("take {}: {:#}", take.id, anyhow::Error::from(error)));
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} takes could not be analysed (see above)", takes.len());
    }
    println!("Analysed {} takes.", takes.len());
    Ok(())
}

/// Judges a take with a bar on the terminal.
fn judge(recogniser: &Recogniser, script: &Script, audio: &Audio) -> anyhow::Result<encore_rehearsal::Judgement> {
    let bar = progress::seconds_bar("listening", audio.duration());
    let judgement = encore_rehearsal::judge(recogniser, script, audio, &mut |done| {
        bar.set_position((done * audio.duration() * 10.0) as u64)
    })?;
    bar.finish_and_clear();
    Ok(judgement)
}
