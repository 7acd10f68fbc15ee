// Rejourney in a React Native app: the integration is the five marked lines.
import * as React from "react";
import { Button, Text, TextInput, View } from "react-native";
import { NavigationContainer, useNavigationContainerRef } from "@react-navigation/native";
import { createNativeStackNavigator } from "@react-navigation/native-stack";
import { Mask, Rejourney } from "@rejourney/react-native"; // 1

Rejourney.start({ apiKey: "pk_live_your_public_key", maskAllText: false }).catch(console.warn); // 2

const Stack = createNativeStackNavigator();

function Login({ navigation }: { navigation: { navigate(screen: string): void } }) {
  return (
    <View style={{ padding: 24, gap: 12 }}>
      <Text>Sign in</Text>
      <TextInput placeholder="Email" />{/* text inputs are masked by default */}
      <TextInput placeholder="Password" secureTextEntry />{/* always masked */}
      <Mask>{/* 3: anything inside is blacked out */}
        <Text>Card ending 4242</Text>
      </Mask>
      <Button title="Continue" onPress={() => { Rejourney.logEvent("login_submitted"); navigation.navigate("Home"); }} />
    </View>
  );
}

function Home() {
  return <Text style={{ padding: 24 }}>Welcome</Text>;
}

export default function App() {
  const nav = useNavigationContainerRef();
  return (
    <NavigationContainer ref={nav} onReady={() => Rejourney.trackNavigation(nav)}>{/* 4: screen names */}
      <Stack.Navigator>
        <Stack.Screen name="Login" component={Login} />
        <Stack.Screen name="Home" component={Home} />
      </Stack.Navigator>
    </NavigationContainer>
  );
}
// 5: iOS: `cd ios && pod install` (see the README); Android and Expo dev builds: nothing more.
