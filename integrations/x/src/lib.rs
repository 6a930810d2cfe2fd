//! The X (Twitter) provider.
//!
//! - **Connection**: OAuth 1.0a user context, as Postiz does. `auth_url` obtains a request token
//!   (`POST /oauth/request_token`, signed, with `oauth_callback` and `x_auth_access_type=write`)
//!   and sends the user to `/oauth/authenticate?oauth_token=...`; the state is the request token
//!   and the kept verifier is `request_token:request_token_secret`. `authenticate` takes the
//!   `oauth_verifier` as the code, exchanges it at `POST /oauth/access_token`, then reads the
//!   account with `GET /2/users/me`. The access token and its secret are stored in
//!   [`TokenSet::access_token`](postiz_provider::TokenSet) and `access_secret`; they never
//!   expire, so `refresh` returns them unchanged and a 401 means the user revoked the app
//!   (`Disconnected`). Tokens imported from Postiz as one `token:secret` string are accepted.
//! - **Posting**: `POST /2/tweets` with `text`, `media.media_ids`, `reply.in_reply_to_tweet_id`
//!   (thread items reply to the previous item), and from the post settings (Postiz `XDto`):
//!   `who_can_reply_post` -> `reply_settings`, `community` (URL or id) -> `community_id` with
//!   `share_with_followers`, `made_with_ai`, `paid_partnership`. With `post_type = "article"`
//!   the post becomes an X article: `POST /2/articles/draft` (title, Draft.js content state
//!   built from the editor HTML, images embedded) and, when `article_status = "published"`,
//!   `POST /2/articles/{id}/publish`. The article cover (`article_cover`) is not uploaded: the
//!   settings carry only its path, and providers read media through `MediaItem` sources.
//! - **Media**: the documented v2 chunked upload for images and videos alike:
//!   `POST /2/media/upload/initialize`, `POST /2/media/upload/{id}/append` (multipart chunks of
//!   at most 4 MiB, streamed from the media source), `POST /2/media/upload/{id}/finalize`, then
//!   `GET /2/media/upload?command=STATUS` while `processing_info` says so, honouring
//!   `check_after_secs`, for at most `media_processing_timeout_secs` (the post is created only
//!   once the media is ready; a timeout is `Transient`, a failed processing `Rejected`). Alt
//!   texts go to `POST /2/media/metadata`.
//! - **Text**: the editor is HTML (as Postiz declares); posts are flattened to plain text
//!   (paragraphs on lines, bold as Unicode bold, links as their address) and counted with X's
//!   weighted length (see [`text`]). `max_length` is 280, 4000 when the channel's "Verified"
//!   setting is on, 100000 for articles.
//!
//! Configuration (`[providers.x]`, or Postiz's variables):
//!
//! | what | name | env |
//! |---|---|---|
//! | consumer key / secret | `client_id` / `client_secret` | `X_API_KEY` / `X_API_SECRET` |
//! | callback base (the callback is `{base}/integrations/social/x`) | option `callback_url` | `X_URL` |
//! | remove links from posts | option `strip_links` | `STRIP_LINKS_FROM_X_POSTS` |
//! | upload chunk size in bytes (at most 4 MiB) | option `upload_chunk_size` | |
//! | longest wait for media processing | option `media_processing_timeout_secs` (300) | |
//! | API base | url `api` (`https://api.x.com`) | |
//! | media upload base | url `upload` (`https://api.x.com`) | |
//! | OAuth 1.0a endpoints and authorize page | url `oauth` (`https://api.x.com`) | |

pub mod errors;
pub mod html;
pub mod oauth1;
mod provider;
pub mod text;

pub use provider::{IDENTIFIER, MAX_CHUNK_SIZE, XFactory, XProvider};
