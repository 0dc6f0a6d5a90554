// The resident page (pages/index.html).
import { $ } from './lib/dom.js';
import { applyTo, langSwitch, t } from './lib/i18n.js';

applyTo();
document.title = t('resident.title');
langSwitch($('#lang'));
