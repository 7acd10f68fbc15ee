// This package's jest suite: React Native's own modules (XMLHttpRequest, fetch, EventTarget)
// under React Native's jest preset, as an app's tests run them. Not shipped.
module.exports = {
  preset: "@react-native/jest-preset",
  roots: ["<rootDir>/test-jest"],
  testMatch: ["**/*.test.ts", "**/*.test.tsx", "**/*.test.js"],
};
