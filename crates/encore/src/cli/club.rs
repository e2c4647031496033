//! `encore user`, `encore group` and `encore assign`: the people of a club and what they
//! rehearse, kept in the club's database through the rehearsal layer.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use encore_rehearsal::{Settings, club_of};
use encore_store::Role;

use super::args::{GroupCommand, RoleArg, UserCommand};

pub fn run_user(command: &UserCommand, settings: &Settings) -> anyhow::Result<()> {
    let UserCommand::Add { name, role } = command;
    let store = settings.open_store()?;
    club_of(store.as_ref())?;
    let role = match role {
        RoleArg::Performer => Role::Performer,
        RoleArg::Coach => Role::Coach,
    };
    if std::io::stdin().is_terminal() {
        eprint!("{name}'s password (shown as you type; or pipe it in): ");
    }
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password).context("cannot read the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']);
    let member = encore_rehearsal::add_member(store.as_ref(), name, role, password)?;
    println!("Added {} ({}, member {}).", member.name, member.role.name(), member.id);
    Ok(())
}

pub fn run_group(command: &GroupCommand, settings: &Settings) -> anyhow::Result<()> {
    let store = settings.open_store()?;
    let club = club_of(store.as_ref())?;
    match command {
        GroupCommand::Add { name } => {
            let group = club.add_group(name)?;
            println!(
                "Added the group {}. Put members in it with: encore group join \"{}\" USER",
                group.name, group.name
            );
        }
        GroupCommand::Join { group, user } => {
            let (group, member) = club.join_group(group, user)?;
            println!("{} ({}) is in {}.", member.name, member.role.name(), group.name);
        }
    }
    Ok(())
}

pub fn run_assign(piece: &str, group: &str, due: Option<&str>, settings: &Settings) -> anyhow::Result<()> {
    let store = settings.open_store()?;
    let club = club_of(store.as_ref())?;
    let piece = store.find_piece(piece)?;
    let due = due.map(end_of_day).transpose()?;
    let assignment = club.assign(piece.id, group, due)?;
    match due {
        Some(_) => println!(
            "\"{}\" is assigned to {}, due {}.",
            piece.title,
            assignment.group.name,
            super::format::when(assignment.due.unwrap_or_default())
        ),
        None => println!("\"{}\" is assigned to {}.", piece.title, assignment.group.name),
    }
    Ok(())
}

/// The last second of a day written YYYY-MM-DD, in this machine's time zone.
fn end_of_day(date: &str) -> anyhow::Result<i64> {
    let day: jiff::civil::Date =
        date.parse().with_context(|| format!("\"{date}\" is not a date; write it as YYYY-MM-DD"))?;
    let next = day.tomorrow().context("that date is too late")?;
    let zoned = next.to_zoned(jiff::tz::TimeZone::system()).context("that date is out of range")?;
    Ok(zoned.timestamp().as_second() - 1)
}
