// Only for this package's own jest suite (test-jest/): React Native's preset compiles React
// Native's Flow sources and our TypeScript the way an app's Metro and jest do. Not shipped.
module.exports = { presets: ["module:@react-native/babel-preset"] };
