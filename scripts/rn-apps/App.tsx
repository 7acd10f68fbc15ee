/**
 * The app the React Native user-level tests build (scripts/test-react-native-apps.sh copies it
 * over the template's and the Expo app's App.tsx): what the package README tells a user to write.
 */
import React, { useEffect } from 'react';
import { StatusBar, StyleSheet, Text, View } from 'react-native';
import { Mask, Unmask, Rejourney, type MaskProps } from '@rejourney/react-native';

// <Mask> takes a View's props, style included.
const card: MaskProps['style'] = { padding: 8, borderRadius: 4 };

export default function App(): React.JSX.Element {
  useEffect(() => {
    Rejourney.start({ apiKey: 'pk_test_rn_app' }).catch(() => {});
    Rejourney.logEvent('app_open', { cold: true });
  }, []);
  return (
    <View style={styles.container}>
      <StatusBar barStyle="dark-content" />
      <Mask style={card} accessibilityLabel="card">
        <Text>Card ending 4242</Text>
      </Mask>
      <Unmask>
        <Text>Total: 12.00</Text>
      </Unmask>
    </View>
  );
}

const styles = StyleSheet.create({ container: { flex: 1 } });
