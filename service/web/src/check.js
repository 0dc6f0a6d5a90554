// The check page (pages/check.html).
import { $ } from './lib/dom.js';
import { applyTo, langSwitch, t } from './lib/i18n.js';

applyTo();
document.title = t('check.title');
langSwitch($('#lang'));
