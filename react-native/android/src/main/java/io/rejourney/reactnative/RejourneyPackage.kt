package io.rejourney.reactnative

import com.facebook.react.BaseReactPackage
import com.facebook.react.bridge.NativeModule
import com.facebook.react.bridge.ReactApplicationContext
import com.facebook.react.module.model.ReactModuleInfo
import com.facebook.react.module.model.ReactModuleInfoProvider
import com.facebook.react.uimanager.ViewManager

/** Autolinked by the React Native CLI / Expo (see react-native.config.js). */
class RejourneyPackage : BaseReactPackage() {
    override fun getModule(name: String, context: ReactApplicationContext): NativeModule? =
        if (name == RejourneyModule.NAME) RejourneyModule(context) else null

    override fun getReactModuleInfoProvider() = ReactModuleInfoProvider {
        mapOf(
            RejourneyModule.NAME to ReactModuleInfo(
                RejourneyModule.NAME, RejourneyModule.NAME, false, false, false, BuildConfig.IS_NEW_ARCHITECTURE_ENABLED,
            ),
        )
    }

    override fun createViewManagers(context: ReactApplicationContext): List<ViewManager<*, *>> =
        listOf(RejourneyMaskViewManager())
}
