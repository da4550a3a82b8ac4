//! The dispatch engine under fire: tick, dialers and webhooks against the local AWS emulator
//! and the simulated phone network, with every fault switched on, checked against DESIGN.md's
//! promises. `SIM_LEADS` scales the main scenario (the full run of 10,000+ attempts:
//! `SIM_LEADS=3000 cargo nextest run -p system-tests --test dispatch`).

mod scenarios;
