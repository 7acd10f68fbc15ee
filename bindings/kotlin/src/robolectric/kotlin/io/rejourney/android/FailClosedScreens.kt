package io.rejourney.android

import android.app.Activity
import android.content.Context
import android.graphics.Canvas
import android.graphics.Color
import android.os.Bundle
import android.view.View
import android.widget.EditText
import android.widget.FrameLayout
import android.widget.TextView

/**
 * A view the app draws code into: when [onDraw] is set, its next draw runs it once. Apps do
 * this (parallax in `draw`, a chart stepping its animation): code that changes other views
 * while the window is being drawn. Drawn before the views it changes (earlier sibling).
 */
class DrawHook(context: Context) : View(context) {
    @Volatile var onDraw: (() -> Unit)? = null

    override fun draw(canvas: Canvas) {
        super.draw(canvas)
        val hook = onDraw ?: return
        onDraw = null
        hook()
    }
}

/** A label, a draw hook and a text input the hook can move (or make throw) while drawn. */
class HookActivity : Activity() {
    lateinit var label: TextView
    lateinit var hook: DrawHook
    lateinit var input: EditText

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        label = Widgets.text(this, "Moving")
        input = Widgets.input(this, "moving-secret", Widgets.PLAIN)
        hook = DrawHook(this).apply { setBackgroundColor(Color.rgb(90, 90, 90)) }
        val root = FrameLayout(this).apply { setBackgroundColor(Color.rgb(40, 40, 40)) }
        root.addView(label, FrameLayout.LayoutParams(200, 50).apply { leftMargin = 10; topMargin = 10 })
        root.addView(hook, FrameLayout.LayoutParams(20, 20).apply { leftMargin = 10; topMargin = 300 })
        root.addView(input, FrameLayout.LayoutParams(160, 50).apply { leftMargin = 10; topMargin = 120 })
        setContentView(root)
    }
}
