//! The TOP cut: a message's header, the blank line and the first n lines of its body
//! (RFC 1939 section 7).

/// Passes the header, the blank line and `lines` lines of the body (RFC 1939 section 7).
#[derive(Debug, Clone)]
pub(super) struct TopCut {
    in_header: bool,
    at_line_start: bool,
    /// A CR at the start of a line whose LF may follow in the next chunk.
    cr_at_start: bool,
    lines_left: u32,
    done: bool,
}

impl TopCut {
    pub(super) fn new(lines: u32) -> Self {
        Self {
            in_header: true,
            at_line_start: true,
            cr_at_start: false,
            lines_left: lines,
            done: false,
        }
    }

    /// The prefix of `chunk` to pass on.
    pub(super) fn cut<'a>(&mut self, chunk: &'a [u8]) -> &'a [u8] {
        if self.done {
            return &[];
        }
        for (i, &b) in chunk.iter().enumerate() {
            if self.in_header {
                let blank = match b {
                    b'\n' => self.at_line_start || self.cr_at_start,
                    _ => false,
                };
                self.cr_at_start = b == b'\r' && self.at_line_start;
                if b == b'\n' {
                    self.at_line_start = true;
                    self.cr_at_start = false;
                    if blank {
                        self.in_header = false;
                        if self.lines_left == 0 {
                            self.done = true;
                            return chunk.get(..=i).unwrap_or(chunk);
                        }
                    }
                } else if b != b'\r' || !self.at_line_start {
                    self.at_line_start = false;
                }
            } else if b == b'\n' {
                self.lines_left = self.lines_left.saturating_sub(1);
                if self.lines_left == 0 {
                    self.done = true;
                    return chunk.get(..=i).unwrap_or(chunk);
                }
            }
        }
        chunk
    }
}
