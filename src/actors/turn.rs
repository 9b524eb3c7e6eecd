//! A piece of an actor's work that runs one at a time (a push round, a send round, a delivery
//! round): asked for while it runs, it runs once more when it ends, however often it was asked.

/// Where one piece of work stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Turn {
    #[default]
    Idle,
    Running,
    /// Running, and asked for again meanwhile.
    Again,
}

impl Turn {
    /// Whether the work may start now. If it runs already, it is marked to run again.
    pub fn begin(&mut self) -> bool {
        match self {
            Turn::Idle => {
                *self = Turn::Running;
                true
            }
            Turn::Running | Turn::Again => {
                *self = Turn::Again;
                false
            }
        }
    }

    /// The run ended: true if it was asked for meanwhile (run it again now).
    pub fn end(&mut self) -> bool {
        std::mem::take(self) == Turn::Again
    }

    /// Asked for again while running (a newer piece of work waits).
    pub fn wanted_again(&self) -> bool {
        *self == Turn::Again
    }

    /// Forgets any run under way (the actor restarted; its work died with it).
    pub fn reset(&mut self) {
        *self = Turn::Idle;
    }
}

#[cfg(test)]
mod tests {
    use super::Turn;

    #[test]
    fn a_turn_asked_for_while_running_runs_once_more() {
        let mut turn = Turn::default();
        assert!(turn.begin());
        assert!(!turn.begin());
        assert!(!turn.begin());
        assert!(turn.wanted_again());
        assert!(turn.end());
        assert!(turn.begin());
        assert!(!turn.end());
        assert_eq!(turn, Turn::Idle);
    }
}
