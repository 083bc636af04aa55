#![doc = "Internet Message Format and MIME (work in progress)."]
