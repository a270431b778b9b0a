// Runes everywhere: no legacy reactive syntax in this app.
export default {
  compilerOptions: { runes: true },
};
