use std::process::ExitCode;
use std::sync::Arc;

use boxoffice::clock::SystemClock;

#[rocket::main]
async fn main() -> ExitCode {
    let service = match boxoffice::build(boxoffice::config::figment(), Arc::new(SystemClock)) {
        Ok(service) => service,
        Err(error) => {
            eprintln!("boxoffice: {error}");
            return ExitCode::FAILURE;
        }
    };
    boxoffice::os_limits::raise_and_report();
    boxoffice::memory::start_trimming();
    // Dropping the Rocket drops the writer's last handle: the writer finishes
    // and the database closes cleanly before the process exits.
    let outcome = service.rocket.launch().await.map(drop);
    let _ = service.writer_thread.join();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("boxoffice: {error}");
            ExitCode::FAILURE
        }
    }
}
