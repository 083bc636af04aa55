#![doc = "SASL mechanisms (work in progress)."]
