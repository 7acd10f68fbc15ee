// Autolinking (React Native CLI and Expo prebuild): the podspec at the package root on iOS,
// the Gradle module in android/ with RejourneyPackage on Android.
module.exports = {
  dependency: {
    platforms: {
      ios: {},
      android: {
        sourceDir: "./android",
        packageImportPath: "import io.rejourney.reactnative.RejourneyPackage;",
        packageInstance: "new RejourneyPackage()",
      },
    },
  },
};
