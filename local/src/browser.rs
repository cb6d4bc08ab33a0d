//! Opening the sign-in page in the user's browser (`$BROWSER` honoured).

/// Opens `url`, which [`crate::authorize`] has already validated.
pub async fn open(url: &str) -> Result<(), String> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || webbrowser::open(&url))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}
