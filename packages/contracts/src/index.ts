// Filled in by the effectively-once core (issue 3).
export {};
