/**
 * The app's own jest test with the package's shipped mock, as its README says: the app renders,
 * its calls reach the mock, <Mask>/<Unmask> keep their test ids, and nothing warns.
 */
import React from 'react';
import ReactTestRenderer from 'react-test-renderer';
import { Rejourney } from '@rejourney/react-native';
import App from '../App';

jest.mock('@rejourney/react-native', () => require('@rejourney/react-native/jest/mock'));

test('renders with the Rejourney mock, without a warning', async () => {
  const warn = jest.spyOn(console, 'warn');
  const error = jest.spyOn(console, 'error');
  let tree: ReactTestRenderer.ReactTestRenderer | undefined;
  await ReactTestRenderer.act(() => {
    tree = ReactTestRenderer.create(<App />);
  });
  expect(Rejourney.start).toHaveBeenCalledWith({ apiKey: 'pk_test_rn_app' });
  expect(Rejourney.logEvent).toHaveBeenCalledWith('app_open', { cold: true });
  expect(tree!.root.findAllByProps({ testID: 'rj-mask' }).length).toBeGreaterThan(0);
  expect(tree!.root.findAllByProps({ testID: 'rj-unmask' }).length).toBeGreaterThan(0);
  expect(warn).not.toHaveBeenCalled();
  expect(error).not.toHaveBeenCalled();
});
