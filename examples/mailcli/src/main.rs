//! The `mailcli` program: see the library's documentation.

fn main() {
    let env = mailcli::Env::from_process();
    let code = mailcli::run(
        std::env::args_os(),
        &env,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    std::process::exit(code);
}
