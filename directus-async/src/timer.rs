//! A sleep that needs no runtime: a `429`'s `Retry-After` is waited out on a short-lived thread
//! that wakes the task, so the client works the same on tokio, async-std or a plain executor.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

#[derive(Default)]
struct State {
    done: bool,
    waker: Option<Waker>,
}

/// Completes after `delay`.
pub(crate) fn sleep(delay: Duration) -> impl Future<Output = ()> + Send {
    Sleep { delay, state: None }
}

struct Sleep {
    delay: Duration,
    state: Option<Arc<Mutex<State>>>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let delay = self.delay;
        let state = self.state.get_or_insert_with(|| {
            let state = Arc::new(Mutex::new(State::default()));
            let timer = Arc::clone(&state);
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                let mut state = timer.lock().unwrap_or_else(|p| p.into_inner());
                state.done = true;
                if let Some(waker) = state.waker.take() {
                    waker.wake();
                }
            });
            state
        });
        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
        if state.done {
            Poll::Ready(())
        } else {
            state.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn wakes_after_the_delay() {
        super::sleep(std::time::Duration::from_millis(10)).await;
    }
}
