//! `cargo run -p how-email-works`: a message's whole path on loopback, narrated.

use std::process::ExitCode;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("how-email-works: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dir = how_email_works::work_dir();
    println!("How email works: Alice (example.org) writes to Bob (example.net).");
    println!(
        "Two mail servers run on 127.0.0.1 with their data in {}.",
        dir.display()
    );
    match runtime.block_on(how_email_works::run(&dir)) {
        Ok(outcome) => {
            print!("{}", how_email_works::narrate(&outcome));
            println!();
            if outcome.problems.is_empty() {
                println!(
                    "Bob's copy ({} octets) holds Alice's message unchanged ({} octets) below the\ntrace fields both servers added. The server deleted it after download.",
                    outcome.received.len(),
                    outcome.sent.len()
                );
                let _ = std::fs::remove_dir_all(&dir);
                ExitCode::SUCCESS
            } else {
                for problem in &outcome.problems {
                    println!("PROBLEM: {problem}");
                }
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("how-email-works: {e}");
            ExitCode::FAILURE
        }
    }
}
