/**
 * "Checkpoint Lens: Open the Demo Checkpoint" (the walkthrough's first step): writes the built-in
 * seed case — timm's vision-only ViT-B/16 CLIP file at real shapes, 329 MiB — into the extension's
 * global storage once, then opens it in the Checkpoint Lens editor.
 */
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { writeDemoCheckpoint } from '../demo/demoCheckpoint.js';
import { VIEW_TYPE } from './editorProvider.js';

const DEMO_FOLDER = 'vit_base_patch16_clip_224.openai';

export function registerOpenDemoCommand(context: vscode.ExtensionContext): vscode.Disposable {
  return vscode.commands.registerCommand('checkpointLens.openDemo', async () => {
    const dir = join(context.globalStorageUri.fsPath, 'demo', DEMO_FOLDER);
    const file = join(dir, 'model.safetensors');
    try {
      if (!existsSync(file)) {
        await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: 'Checkpoint Lens: writing the demo checkpoint (329 MiB, once)…' },
          async () => {
            // Written beside and renamed into place, so an interrupted write never leaves a
            // truncated demo that later opens as "the demo".
            const tmp = `${dir}.tmp-${process.pid}`;
            await rm(tmp, { recursive: true, force: true });
            await writeDemoCheckpoint(tmp);
            await rm(dir, { recursive: true, force: true });
            await rename(tmp, dir);
          },
        );
      }
      await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), VIEW_TYPE);
    } catch (e) {
      void vscode.window.showErrorMessage(`Checkpoint Lens: could not write the demo checkpoint to ${dir}: ${(e as Error).message}`);
    }
  });
}
