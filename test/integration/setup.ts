// Integration tests wait on a real control plane, Prometheus scrapes and dwell timers.
jest.setTimeout(300_000);
