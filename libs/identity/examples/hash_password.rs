//! Prints the argon2id hash of a password, as stored in `users.password_hash`
//! (for seeding data by SQL, e.g. the benchmark's tenants).
//!
//!     cargo run -q -p pitlane-identity --example hash_password -- 'the password'

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Some(password) = std::env::args().nth(1) else {
        eprintln!("usage: hash_password <password>");
        std::process::exit(2);
    };
    match pitlane_identity::hash_password(password).await {
        Ok(hash) => println!("{hash}"),
        Err(err) => {
            eprintln!("{err}");
            std::process::exit(1);
        }
    }
}
